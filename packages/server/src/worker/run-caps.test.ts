import type { FlowDefinition } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import { customersToCrm, fixture } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

/** trigger → map → send → send again: two outbound requests, four steps. */
function twoDeliveries(sinkUrl: string): FlowDefinition {
  const definition = customersToCrm(sinkUrl);
  definition.steps.push({ ...definition.steps[2]!, id: 'send_again' });
  definition.edges.push({ from: 'send', to: 'send_again' });
  return definition;
}

describe('per-run caps', () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  const systems: Sys[] = [];
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    for (const sys of systems) await sys.close();
    await sink.close();
  });

  async function runWith(overrides: Partial<Config>) {
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5, ...overrides });
    systems.push(sys);
    const h = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Capped', definition: twoDeliveries(sink.url) },
    });
    const flowId = created.json().data.id as string;
    const versionId = created.json().data.draft_version_id as string;
    const started = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/manual/${versionId}`,
      headers: h,
      payload: { payload: fixture('customers-10.json') },
    });
    expect(started.statusCode).toBe(200);
    const runId = started.json().flow_run_id as string;
    const run = await waitForRun(sys.app, h, runId);
    const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}/flow-run-logs`, headers: h })).json()
      .data as Array<{
      message: string;
    }>;
    return { run, logs };
  }

  it('runs the flow to success under the default caps', async () => {
    const { run } = await runWith({});
    expect(run.status).toBe('success');
  });

  it('fails a run before the step that would go over the steps cap, saying which cap', async () => {
    const before = sink.deliveries.length;
    const { run, logs } = await runWith({ runMaxSteps: 2 });
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/limit of 2 step executions before step "send".*WEFT_RUN_MAX_STEPS/);
    expect(logs.some((l) => l.message.includes('RUN_LIMIT_EXCEEDED'))).toBe(true);
    expect(sink.deliveries.length).toBe(before);
  });

  it('fails a run whose outbound requests go over the cap, without sending the extra request', async () => {
    const before = sink.deliveries.length;
    const { run } = await runWith({ runMaxOutboundRequests: 1 });
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/send_again.*limit of 1 outbound requests/);
    expect(sink.deliveries.length).toBe(before + 1);
  });

  it('fails a run whose steps produce more payload bytes than the cap', async () => {
    const { run } = await runWith({ runMaxPayloadBytes: 200 });
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/more than its limit of 200 payload bytes/);
  });
});
