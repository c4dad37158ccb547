import { AppError, type FlowDefinition, runFlowSelfReferences } from '@weft/schema';
import type { Flow, FlowVersion, Store } from '../../store/types.js';

/** How many flows the cycle search follows at most; deeper chains are left to the run-time check. */
const SEARCH_MAX_FLOWS = 50;

/**
 * Refuses a definition whose run_flow steps lead back to the flow it belongs to (spec/flows.md §3):
 * directly (a step naming the flow itself, by id or name), or through other flows' deployed
 * versions (this flow starts B, whose deployed version starts this flow). A cycle through a flow
 * not deployed yet cannot be known here; the ancestry check when a child run starts catches it.
 */
export async function assertNoSelfRunFlow(store: Store, version: FlowVersion, definition: FlowDefinition): Promise<void> {
  if (!definition.steps.some((s) => s.shape === 'run_flow')) return;
  const flow = await store.getFlow(version.companyId, version.flowId);
  if (!flow) return;
  const details: Record<string, string[]> = {};
  const add = (path: string, message: string) => {
    const key = `definition.${path}`;
    details[key] = [...(details[key] ?? []), message];
  };
  for (const problem of runFlowSelfReferences(definition, { id: flow.id, name: flow.name })) add(problem.path, problem.message);
  if (Object.keys(details).length === 0) {
    for (const [index, step] of definition.steps.entries()) {
      const reference = runFlowReference(step);
      if (reference === undefined) continue;
      const path = await pathBackTo(store, flow, reference);
      if (path !== undefined) {
        add(`steps[${index}].config.flow`, `starts "${path.join('" → "')}" → this flow again; a flow may not start itself through others`);
      }
    }
  }
  const count = Object.values(details).reduce((n, list) => n + list.length, 0);
  if (count === 0) return;
  throw new AppError('FLOW_INVALID', `The flow definition is invalid (${count} problem${count === 1 ? '' : 's'}).`, { details });
}

function runFlowReference(step: { shape: string; config: Record<string, unknown> }): string | undefined {
  return step.shape === 'run_flow' && typeof step.config.flow === 'string' ? step.config.flow : undefined;
}

/** The names of the flows from `reference` back to `target` through deployed versions, if any. */
async function pathBackTo(store: Store, target: Flow, reference: string): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const queue: Array<{ reference: string; path: string[] }> = [{ reference, path: [] }];
  while (queue.length > 0 && seen.size < SEARCH_MAX_FLOWS) {
    const next = queue.shift()!;
    const flow = await findFlow(store, target.companyId, next.reference);
    if (!flow || seen.has(flow.id)) continue;
    if (flow.id === target.id) return next.path;
    seen.add(flow.id);
    if (flow.deployedVersionId === null) continue;
    const deployed = await store.getVersion(flow.companyId, flow.deployedVersionId);
    for (const step of deployed?.definition.steps ?? []) {
      const ref = runFlowReference(step);
      if (ref !== undefined) queue.push({ reference: ref, path: [...next.path, flow.name] });
    }
  }
  return undefined;
}

async function findFlow(store: Store, companyId: string, reference: string): Promise<Flow | undefined> {
  const byId = await store.getFlow(companyId, reference);
  if (byId) return byId;
  const named = await store.listFlows(companyId, { name: reference }, { page: 1, perPage: 100 });
  const exact = named.rows.filter((f) => f.name === reference);
  return exact.length === 1 ? exact[0] : undefined;
}
