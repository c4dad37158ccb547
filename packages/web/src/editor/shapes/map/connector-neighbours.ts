import type { FlowDefinition } from '@weft/schema';

export interface EndpointRef {
  stepId: string;
  instance: string;
  endpoint: string;
}

/**
 * The nearest connector steps that call an instance's endpoint, upstream (`before`: whose response the
 * map reads) or downstream (`after`: whose request the map's output becomes) of a step. The search
 * stops at the first connector on each branch: a connector further away sees another document.
 */
export function nearestEndpoints(definition: FlowDefinition, stepId: string, direction: 'before' | 'after'): EndpointRef[] {
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  const next = (id: string) =>
    definition.edges
      .filter((e) => (direction === 'before' ? e.to === id : e.from === id))
      .map((e) => (direction === 'before' ? e.from : e.to));
  const found: EndpointRef[] = [];
  const seen = new Set([stepId]);
  let frontier = next(stepId);
  while (frontier.length > 0) {
    const following: string[] = [];
    for (const id of frontier) {
      if (seen.has(id)) continue;
      seen.add(id);
      const step = steps.get(id);
      if (!step) continue;
      if (step.shape === 'connector') {
        const { instance, endpoint } = step.config as { instance?: unknown; endpoint?: unknown };
        if (typeof instance === 'string' && typeof endpoint === 'string') found.push({ stepId: id, instance, endpoint });
        continue;
      }
      following.push(...next(id));
    }
    frontier = following;
  }
  return found;
}
