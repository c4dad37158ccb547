import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store/types.js';
import { customersToCrm, fixture } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

/**
 * The run's last step and its end are one write (recordFinalStep), not a step record followed by
 * finishRun: one transaction fewer per run on the hot path, and a finished run never lacks its
 * last step.
 */
describe('the worker ends a run with its last step', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let companyId: string;
  let flowId: string;
  const calls = { finishRun: 0, recordFinalStep: 0 };

  beforeAll(async () => {
    sink = await startSink();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    const user = await sys.register();
    h = sys.auth(user.token);
    companyId = user.companyId;
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Final step', definition: customersToCrm(sink.url) },
    });
    flowId = created.json().data.id;
    const draft = created.json().data.draft_version_id;
    await sys.app.inject({ method: 'POST', url: `/api/v1/flow-versions/${draft}/deploy`, headers: h, payload: { enable: true } });
    // Counted on the real store the worker holds: which of the two ways ended the run.
    const store = sys.store as Store;
    const finishRun = store.finishRun.bind(store);
    const recordFinalStep = store.recordFinalStep.bind(store);
    store.finishRun = (...args) => {
      calls.finishRun++;
      return finishRun(...args);
    };
    store.recordFinalStep = (...args) => {
      calls.recordFinalStep++;
      return recordFinalStep(...args);
    };
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  it('commits the delivering step together with the success, its logs and output kept', async () => {
    const before = { ...calls };
    const started = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/start`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: fixture('customers-10.payload.json'),
    });
    expect(started.statusCode).toBe(200);
    const runId = started.json().flow_run_id as string;
    const done = await waitForRun(sys.app, h, runId);
    expect(done.status).toBe('success');
    expect(done.steps_completed).toBe(3);
    expect(calls.recordFinalStep - before.recordFinalStep).toBe(1);
    expect(calls.finishRun - before.finishRun).toBe(0);

    const journal = await sys.store.loadJournal(runId);
    expect(journal.map((e) => e.itemKey)).toEqual(['trigger', 'trigger>map', 'trigger>map>send']);
    const logs = await sys.store.listRunLogs(companyId, runId);
    const summary = logs.find((l) => l.stepId === 'send' && l.message.includes(' in, '));
    expect(summary?.payloadIdsOut).toHaveLength(1);
    const [response] = summary?.payloadIdsOut ?? [];
    expect(await sys.store.getPayload(companyId, response ?? '')).toBeDefined();
  });

  it('ends a run that fails at its last step the ordinary way, with the failure recorded first', async () => {
    const before = { ...calls };
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Nowhere', definition: customersToCrm('http://127.0.0.1:9/closed') },
    });
    const started = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${created.json().data.id}/manual/${created.json().data.draft_version_id}`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: fixture('customers-10.payload.json'),
    });
    const runId = started.json().flow_run_id as string;
    expect(typeof runId).toBe('string');
    const done = await waitForRun(sys.app, h, runId, 60_000);
    expect(done.status).toBe('failure');
    expect(calls.finishRun - before.finishRun).toBe(1);
    expect(calls.recordFinalStep - before.recordFinalStep).toBe(0);
    const journal = await sys.store.loadJournal(runId);
    expect(journal.at(-1)).toMatchObject({ itemKey: 'trigger>map>send', status: 'failure' });
  }, 90_000);
});
