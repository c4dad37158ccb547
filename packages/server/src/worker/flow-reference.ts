import type { Flow, Store } from '../store/types.js';

/** The flow a reference names, or why it names none (a message that names the fix). */
export type FlowReference = { flow: Flow } | { problem: string };

/**
 * The one flow of the company a run_flow step's `flow` names: by id first, else by exact name.
 * Saving a definition reports the problem against the step; starting a child run fails with it.
 */
export async function resolveFlowReference(
  store: Pick<Store, 'getFlow' | 'listFlows'>,
  companyId: string,
  reference: string,
): Promise<FlowReference> {
  const byId = await store.getFlow(companyId, reference);
  if (byId) return { flow: byId };
  // The name filter is a case-insensitive substring; only the exact name counts.
  const named = await store.listFlows(companyId, { name: reference }, { page: 1, perPage: 100 });
  const exact = named.rows.filter((f) => f.name === reference);
  if (exact.length === 1) return { flow: exact[0]! };
  if (exact.length > 1) return { problem: `${exact.length} flows are named "${reference}"; name the flow by its id` };
  return { problem: `there is no flow "${reference}" (by id or exact name) in this company` };
}
