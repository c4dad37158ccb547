import { afterEach, describe, expect, it } from 'vitest';
import { expectAtLeastOnceAcrossKills, startCluster, startSink, waitFor } from './fault-support.js';
import { apiClient, E2E_PASSWORD, freePort } from './weft-process.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;
const STEPS = ['a', 'b', 'c'];
const CRASHES = 3;

/**
 * Fault test (d) of issue 5 / quality.md §1.1 and §1.6: the API process dies after committing a
 * run and before enqueueing it (WEFT_TEST_FAULT=exit-after-commit makes a real `weft api` SIGKILL
 * itself there). The run is in the database only; a worker's reconciler finds it and runs it
 * exactly once, and the client retrying with its Idempotency-Key gets that same run.
 */
if (DATABASE_URL === undefined || REDIS_URL === undefined) {
  it.skip('API killed between commit and enqueue: runs only when WEFT_TEST_DATABASE_URL and WEFT_TEST_REDIS_URL are set', () => {});
} else {
  const databaseUrl = DATABASE_URL;
  const redisUrl = REDIS_URL;

  describe('fault: the API process killed between commit and enqueue', () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('runs each committed run exactly once through the reconciler, and a retried start returns it', { timeout: 120_000 }, async () => {
      // A 3 s lease: the reconciler looks every 1.5 s, and no stall on a loaded machine makes a lease lapse.
      const c = await startCluster({ databaseUrl, redisUrl, env: { WEFT_LEASE_MS: '3000' }, workers: [['worker', '--concurrency', '4']] });
      cleanups.push(() => c.close());
      const sink = await startSink(20, 60);
      cleanups.push(() => sink.close());
      const api = apiClient(c.base);
      await api.signUp('ops@commit.test');
      const flowId = await api.deployDeliveryFlow(sink.port, STEPS);
      const token = (await api.call('POST', '/api/v1/login', { email: 'ops@commit.test', password: E2E_PASSWORD })).body.token as string;

      // A second API process with the fault: each start it takes is committed, then the process dies.
      const faultyPort = await freePort();
      for (let i = 0; i < CRASHES; i++) {
        const faulty = await c.spawn(['api'], { WEFT_PORT: String(faultyPort), WEFT_TEST_FAULT: 'exit-after-commit' });
        const exited = new Promise<NodeJS.Signals | null>((r) => faulty.child.once('exit', (_code, signal) => r(signal)));
        const answer = await fetch(`http://127.0.0.1:${faultyPort}/api/v1/flows/${flowId}/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `crash-${i}` },
          body: JSON.stringify({ payload: JSON.stringify({ n: i }) }),
        }).then(
          (res) => `answered ${res.status}`,
          () => 'no answer',
        );
        expect(answer, 'the process died before answering').toBe('no answer');
        expect(await exited).toBe('SIGKILL');
      }

      // The client retries on the healthy API with the same key: it gets the run the dead process committed.
      const runIds: string[] = [];
      for (let i = 0; i < CRASHES; i++) {
        const res = await fetch(`${c.base}/api/v1/flows/${flowId}/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `crash-${i}` },
          body: JSON.stringify({ payload: JSON.stringify({ n: i }) }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { flow_run_id: string };
        runIds.push(body.flow_run_id);
      }
      expect(new Set(runIds).size).toBe(CRASHES);
      // Only the committed runs exist: the retries created nothing new.
      expect([...(await c.runStatuses()).keys()].sort()).toEqual([...runIds].sort());

      await waitFor(
        async () => {
          const statuses = await c.runStatuses();
          expect([...statuses.values()].filter((s) => s === 'failure')).toEqual([]);
          return runIds.every((id) => statuses.get(id) === 'success');
        },
        60_000,
        () => 'the committed runs did not all succeed',
      );
      // Each run was claimed once: nothing handed it out twice.
      expect([...(await c.runClaims()).values()]).toEqual(Array(CRASHES).fill(1));
      expectAtLeastOnceAcrossKills(sink.deliveries, runIds, STEPS, []);
      // Exactly once: the healthy API's replayed starts enqueue nothing, and the reconciler's hand-out ran each step once.
      expect([...sink.deliveries.values()].map((list) => list.length)).toEqual(Array(CRASHES * STEPS.length).fill(1));
    });
  });
}
