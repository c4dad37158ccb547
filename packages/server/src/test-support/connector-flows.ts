import { expect } from 'vitest';
import type { TestSystem } from './harness.js';
import { waitForRun } from './runs.js';

/** Test helpers: a connector, an instance and a one-step flow through the API, and a run of it. */

export async function createConnector(sys: TestSystem, h: Record<string, string>, body: Record<string, unknown>): Promise<string> {
  const res = await sys.app.inject({ method: 'POST', url: '/api/v1/connectors', headers: h, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data.id as string;
}

export async function createInstance(sys: TestSystem, h: Record<string, string>, body: Record<string, unknown>): Promise<string> {
  const res = await sys.app.inject({ method: 'POST', url: '/api/v1/instances', headers: h, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data.id as string;
}

/** Creates, deploys and enables a flow; returns its id. */
export async function deployFlow(
  sys: TestSystem,
  h: Record<string, string>,
  name: string,
  definition: Record<string, unknown>,
): Promise<string> {
  const flow = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name, definition } });
  expect(flow.statusCode, flow.body).toBe(201);
  const deployed = await sys.app.inject({
    method: 'POST',
    url: `/api/v1/flow-versions/${flow.json().data.draft_version_id}/deploy`,
    headers: h,
    payload: { enable: true },
  });
  expect(deployed.statusCode, deployed.body).toBe(200);
  return flow.json().data.id as string;
}

export interface FinishedRun {
  id: string;
  status: string;
  error: string | null;
  /** Every log line's message and data, as the API returns them, joined for searching. */
  logText: string;
  outputs: unknown[];
}

/** Starts the flow with the payload, waits for it and reads its logs and its last step's outputs. */
export async function runFlow(
  sys: TestSystem,
  h: Record<string, string>,
  flowId: string,
  payload: unknown,
  lastStep: string,
  variables?: Record<string, string>,
): Promise<FinishedRun> {
  const started = await sys.app.inject({
    method: 'POST',
    url: `/api/v1/flows/${flowId}/${variables === undefined ? 'start' : 'manual'}`,
    headers: h,
    payload: { payload: payload === undefined ? '' : JSON.stringify(payload), ...(variables === undefined ? {} : { variables }) },
  });
  expect(started.statusCode, started.body).toBe(200);
  const id = started.json().flow_run_id as string;
  const run = await waitForRun(sys.app, h, id, 30_000);
  return {
    id,
    status: run.status,
    error: run.error,
    logText: await runLogText(sys, h, id),
    outputs: await stepOutputs(sys, h, id, lastStep),
  };
}

export async function runLogText(sys: TestSystem, h: Record<string, string>, runId: string): Promise<string> {
  const logs = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}/flow-run-logs?per_page=1000`, headers: h });
  expect(logs.statusCode, logs.body).toBe(200);
  return logs.body;
}

/** The JSON outputs of a step, read from the run's journal in the store. */
export async function stepOutputs(sys: TestSystem, _h: Record<string, string>, runId: string, stepId: string): Promise<unknown[]> {
  const records = (await sys.store.loadJournal(runId)).filter((r) => r.stepId === stepId);
  const ids = records.flatMap((r) => Object.values(r.outputs).flat());
  const payloads = await sys.store.loadPayloads(runId, ids);
  return payloads.map((p) => (p.body.length === 0 ? null : JSON.parse(p.body.toString('utf8'))));
}
