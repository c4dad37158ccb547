import { AppError, type FlowDefinition, runFlowSelfReferences } from '@weft/schema';
import type { Flow, FlowVersion, Store } from '../../store/types.js';
import { resolveFlowReference } from '../../worker/flow-reference.js';

/** How many flows the cycle search follows at most; deeper chains are left to the run-time check. */
const SEARCH_MAX_FLOWS = 50;

/**
 * Checks the run_flow steps of a definition against the company's flows (spec/flows.md §1: the
 * flows a definition references exist in the same company): each names one existing flow (by id or
 * exact name) and, when it sets `version`, an existing version of it. And it refuses a definition
 * that leads back to the flow it belongs to (§3): directly (by id or name), or through other flows'
 * deployed versions (this flow starts B, whose deployed version starts this flow). A cycle through a
 * flow not deployed yet cannot be known here; the ancestry check when a child run starts catches it.
 */
export async function assertRunFlowReferences(store: Store, version: FlowVersion, definition: FlowDefinition): Promise<void> {
  if (!definition.steps.some((s) => s.shape === 'run_flow')) return;
  const flow = await store.getFlow(version.companyId, version.flowId);
  if (!flow) return;
  const details: Record<string, string[]> = {};
  const add = (path: string, message: string) => {
    const key = `definition.${path}`;
    details[key] = [...(details[key] ?? []), message];
  };
  const self = runFlowSelfReferences(definition, { id: flow.id, name: flow.name });
  for (const problem of self) add(problem.path, problem.message);
  if (self.length === 0) {
    for (const [index, step] of definition.steps.entries()) {
      const reference = runFlowReference(step);
      if (reference === undefined) continue;
      const at = `steps[${index}].config`;
      const found = await resolveFlowReference(store, flow.companyId, reference);
      if ('problem' in found) {
        add(`${at}.flow`, found.problem);
        continue;
      }
      const number = step.config.version;
      if (typeof number === 'number' && !(await store.listVersions(flow.companyId, found.flow.id)).some((v) => v.number === number)) {
        add(`${at}.version`, `flow "${found.flow.name}" has no version ${number}`);
      }
      const path = await pathBackTo(store, flow, found.flow);
      if (path !== undefined)
        add(`${at}.flow`, `starts "${path.join('" → "')}" → this flow again; a flow may not start itself through others`);
    }
  }
  const count = Object.values(details).reduce((n, list) => n + list.length, 0);
  if (count === 0) return;
  throw new AppError('FLOW_INVALID', `The flow definition is invalid (${count} problem${count === 1 ? '' : 's'}).`, { details });
}

function runFlowReference(step: { shape: string; config: Record<string, unknown> }): string | undefined {
  return step.shape === 'run_flow' && typeof step.config.flow === 'string' ? step.config.flow : undefined;
}

/** The names of the flows from `start` back to `target` through deployed versions, if any. */
async function pathBackTo(store: Store, target: Flow, start: Flow): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const queue: Array<{ flow: Flow; path: string[] }> = [{ flow: start, path: [] }];
  while (queue.length > 0 && seen.size < SEARCH_MAX_FLOWS) {
    const { flow, path } = queue.shift()!;
    if (seen.has(flow.id)) continue;
    if (flow.id === target.id) return path;
    seen.add(flow.id);
    if (flow.deployedVersionId === null) continue;
    const deployed = await store.getVersion(flow.companyId, flow.deployedVersionId);
    for (const step of deployed?.definition.steps ?? []) {
      const reference = runFlowReference(step);
      if (reference === undefined) continue;
      const next = await resolveFlowReference(store, flow.companyId, reference);
      if ('flow' in next) queue.push({ flow: next.flow, path: [...path, flow.name] });
    }
  }
  return undefined;
}
