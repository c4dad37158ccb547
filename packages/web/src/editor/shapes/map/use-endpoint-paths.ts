import type { FlowDefinition } from '@weft/schema';
import { useMemo } from 'react';
import type { Connector, Instance } from '../../../api/types';
import { useEndpointCatalog } from '../../endpoint-catalog';
import { type EndpointRef, nearestEndpoints } from './connector-neighbours';
import { schemaPaths } from './field-paths';

export interface EndpointPaths {
  /** From the response `schema` of the endpoints called upstream. */
  source: string[];
  /** From the `request_schema` of the endpoints called downstream. */
  target: string[];
}

const NONE: EndpointPaths = { source: [], target: [] };

function pathsOf(refs: EndpointRef[], instances: Instance[], connectors: Connector[], key: 'schema' | 'request_schema'): string[] {
  const out = new Set<string>();
  for (const ref of refs) {
    const instance = instances.find((i) => i.id === ref.instance);
    const connector = connectors.find((c) => c.id === instance?.connector_id);
    const endpoint = connector?.endpoints.find((e) => e.name === ref.endpoint);
    for (const p of schemaPaths(endpoint?.[key])) out.add(p);
  }
  return [...out];
}

/**
 * Suggestions from the connector endpoints around a map step. The editor's catalog of instances and
 * connectors is asked for only when a neighbouring connector step names an endpoint.
 */
export function useEndpointPaths(definition: FlowDefinition | undefined, stepId: string): EndpointPaths {
  const before = useMemo(() => (definition ? nearestEndpoints(definition, stepId, 'before') : []), [definition, stepId]);
  const after = useMemo(() => (definition ? nearestEndpoints(definition, stepId, 'after') : []), [definition, stepId]);
  const wanted = before.length + after.length > 0;
  // A failure to load only means fewer suggestions, so its error is not shown.
  const loaded = useEndpointCatalog(wanted).data;

  return useMemo(() => {
    if (!loaded || !wanted) return NONE;
    return {
      source: pathsOf(before, loaded.instances, loaded.connectors, 'schema'),
      target: pathsOf(after, loaded.instances, loaded.connectors, 'request_schema'),
    };
  }, [loaded, wanted, before, after]);
}
