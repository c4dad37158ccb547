import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

/**
 * quality.md §1: the store is the truth and the queue only hands out work. These tests take the
 * queue out of the picture the way a crash would, and check the worker still finds every run.
 */
describe('the worker', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let companyId: string;
  let flow: { id: string; draft_version_id: string };

  beforeAll(async () => {
    sink = await startSink();
    // A short lease makes the reconciler pass (every lease/2) quick enough for a test.
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], leaseMs: 600 });
    const user = await sys.register();
    h = sys.auth(user.token);
    companyId = user.companyId;
    flow = (
      await sys.app.inject({
        method: 'POST',
        url: '/api/v1/flows',
        headers: h,
        payload: { name: 'Reconciled', definition: customersToCrm(sink.url) },
      })
    ).json().data;
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  it('runs a committed run that was never enqueued (the API died between commit and enqueue)', async () => {
    const before = sink.deliveries.length;
    const { run } = await sys.store.createRun(companyId, {
      flowId: flow.id,
      versionId: flow.draft_version_id,
      trigger: 'api',
      priority: 3,
      expedite: false,
      input: { format: 'json', meta: {}, body: Buffer.from(JSON.parse(fixture('customers-10.payload.json')).payload) },
    });
    const done = await waitForRun(sys.app, h, run.id);
    expect(done.status).toBe('success');
    expect(JSON.parse(sink.deliveries[before]!.body)).toEqual(JSON.parse(fixture('customers-10.mapped.json')));
  });

  it('resumes a run whose worker vanished once its lease expires', async () => {
    const { run } = await sys.store.createRun(companyId, {
      flowId: flow.id,
      versionId: flow.draft_version_id,
      trigger: 'api',
      priority: 3,
      expedite: false,
      input: { format: 'json', meta: {}, body: Buffer.from('[]') },
    });
    // Another "process" claims the run and dies without finishing or renewing.
    const claimed = await sys.store.claimRun(run.id, 'worker-that-died', 300);
    expect(claimed?.status).toBe('running');
    const done = await waitForRun(sys.app, h, run.id);
    expect(done.status).toBe('success');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
  });
});
