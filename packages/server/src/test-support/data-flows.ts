import type { FlowDefinition, StepDefinition } from '@weft/schema';
import type { TestSystem } from './harness.js';
import { waitForRun } from './runs.js';

/** trigger → the given steps in a line. */
export function lineFlow(
  steps: Array<Omit<StepDefinition, 'config'> & { config: Record<string, unknown> }>,
  variables?: Record<string, string>,
): FlowDefinition {
  const all = [{ id: 'trigger', shape: 'trigger', config: {} }, ...steps];
  return {
    format: 'json',
    ...(variables && { variables }),
    steps: all,
    edges: all.slice(1).map((s, i) => ({ from: all[i]!.id, to: s.id })),
  };
}

/** Creates a flow with the definition as its draft; answers its id and draft version id. */
export async function createFlow(sys: TestSystem, headers: Record<string, string>, definition: FlowDefinition, name = 'Data flow') {
  const res = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers, payload: { name, definition } });
  if (res.statusCode !== 201) throw new Error(`POST /api/v1/flows answered ${res.statusCode}: ${res.body}`);
  const data = res.json().data as { id: string; draft_version_id: string };
  return { flowId: data.id, versionId: data.draft_version_id };
}

/** Starts the draft with a JSON payload through the manual endpoint and waits for the run to end. */
export async function runFlow(
  sys: TestSystem,
  headers: Record<string, string>,
  flow: { flowId: string; versionId: string },
  payload: unknown,
) {
  const res = await sys.app.inject({
    method: 'POST',
    url: `/api/v1/flows/${flow.flowId}/manual/${flow.versionId}`,
    headers,
    payload: { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) },
  });
  if (res.statusCode !== 200) throw new Error(`start answered ${res.statusCode}: ${res.body}`);
  return waitForRun(sys.app, headers, res.json().flow_run_id as string, 30_000);
}
