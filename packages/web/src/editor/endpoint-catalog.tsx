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

/** A catalog older than this is loaded again when the window regains focus. */
const STALE_ON_FOCUS_MS = 5_000;

/**
 * Loads the catalog once for the editor, when a form first asks for it: the connector step's endpoint
 * picker and the map step's field suggestions share it, and moving between steps fetches nothing more.
 * A failed load is tried again by the next form that asks. Coming back to the window (say from the
 * tab where an instance was just created) loads it again in the background, keeping what is shown.
 */
export function EndpointCatalogProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<CatalogState>({ data: undefined, error: null });
  // Loading or loaded: a ref, as two forms (or StrictMode's second effect) may ask in the same render.
  const started = useRef(false);
  const loadedAt = useRef<number | undefined>(undefined);
  const load = useCallback(() => {
    if (started.current) return;
    started.current = true;
    setState((s) => (s.error === null ? s : { data: undefined, error: null }));
    Promise.all([api.listInstances(), api.listConnectors()])
      .then(([instances, connectors]) => {
        loadedAt.current = Date.now();
        setState({ data: { instances, connectors }, error: null });
      })
      .catch((error: unknown) => {
        started.current = false;
        setState({ data: undefined, error });
      });
  }, []);
  useEffect(() => {
    const refresh = () => {
      if (loadedAt.current === undefined || Date.now() - loadedAt.current < STALE_ON_FOCUS_MS) return;
      loadedAt.current = undefined;
      started.current = false;
      load();
    };
    window.addEventListener('focus', refresh);
    return () => window.removeEventListener('focus', refresh);
  }, [load]);
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
