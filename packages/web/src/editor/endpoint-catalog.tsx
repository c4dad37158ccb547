import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api/endpoints';
import type { Connector, Instance } from '../api/types';

/** The company's instances and connectors: what a connector step can call, and the endpoints' schemas. */
export interface EndpointCatalog {
  instances: Instance[];
  connectors: Connector[];
}

export interface CatalogState {
  data: EndpointCatalog | undefined;
  error: unknown;
}

const CatalogContext = createContext<{ state: CatalogState; load(): void } | null>(null);

/**
 * Loads the catalog once for the editor, when a form first asks for it: the connector step's endpoint
 * picker and the map step's field suggestions share it, and moving between steps fetches nothing more.
 * A failed load is tried again by the next form that asks.
 */
export function EndpointCatalogProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<CatalogState>({ data: undefined, error: null });
  // Loading or loaded: a ref, as two forms (or StrictMode's second effect) may ask in the same render.
  const started = useRef(false);
  const load = useCallback(() => {
    if (started.current) return;
    started.current = true;
    setState((s) => (s.error === null ? s : { data: undefined, error: null }));
    Promise.all([api.listInstances(), api.listConnectors()])
      .then(([instances, connectors]) => setState({ data: { instances, connectors }, error: null }))
      .catch((error: unknown) => {
        started.current = false;
        setState({ data: undefined, error });
      });
  }, []);
  const value = useMemo(() => ({ state, load }), [state, load]);
  return <CatalogContext.Provider value={value}>{children}</CatalogContext.Provider>;
}

/** The shared catalog, loaded on first need: `wanted` false (nothing to suggest yet) asks for nothing. */
export function useEndpointCatalog(wanted = true): CatalogState {
  const catalog = useContext(CatalogContext);
  if (!catalog) throw new Error('useEndpointCatalog outside EndpointCatalogProvider');
  const { state, load } = catalog;
  useEffect(() => {
    if (wanted) load();
  }, [wanted, load]);
  return state;
}
