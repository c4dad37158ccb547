import { AppError, type FlowDefinition, runFlowSelfReferences } from '@weft/schema';
import type { FlowVersion, Store } from '../../store/types.js';

/**
 * Refuses a definition whose run_flow steps start the flow it belongs to, by id or by name: the
 * cycle a definition shows by itself (spec/flows.md §3). Cycles through other flows are caught
 * when a run starts a child (the ancestry check of the worker's ChildRuns).
 */
export async function assertNoSelfRunFlow(store: Store, version: FlowVersion, definition: FlowDefinition): Promise<void> {
  if (!definition.steps.some((s) => s.shape === 'run_flow')) return;
  const flow = await store.getFlow(version.companyId, version.flowId);
  if (!flow) return;
  const problems = runFlowSelfReferences(definition, { id: flow.id, name: flow.name });
  if (problems.length === 0) return;
  const details: Record<string, string[]> = {};
  for (const problem of problems) (details[`definition.${problem.path}`] ??= []).push(problem.message);
  throw new AppError('FLOW_INVALID', `The flow definition is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}).`, {
    details,
  });
}
