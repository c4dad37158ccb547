import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectAtLeastOnceAcrossKills,
  postgresBinaries,
  sleep,
  startCluster,
  startPrivatePostgres,
  startRuns,
  startSink,
  waitFor,
} from './fault-support.js';

const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;
const STEPS = ['a', 'b', 'c'];
const RUNS = 100;
const binaries = postgresBinaries();

/** Statuses in the order a run may move through them; a terminal one never changes. */
const RANK: Record<string, number> = { queued: 0, running: 1 };
const rank = (status: string) => RANK[status] ?? 2;

/**
 * Fault test (c) of issue 5 / quality.md §1.1 and §1.5: PostgreSQL crashes (immediate shutdown,
 * every connection cut) and comes back while 100 runs are running. It is a PostgreSQL server of
 * this test's own (initdb in a temp dir, free port), never the shared one on 5432. No accepted run
 * is lost (all 100, and any start answered 2xx during the outage, succeed) and no run's status ever
 * moves backwards, as seen by polling the database throughout.
 */
if (REDIS_URL === undefined) {
  it.skip('PostgreSQL restart: runs only when WEFT_TEST_REDIS_URL is set', () => {});
} else if ('missing' in binaries) {
  it.skip(`PostgreSQL restart: needs a private PostgreSQL server, but there is ${binaries.missing}`, () => {});
} else {
  const redisUrl = REDIS_URL;
  const bin = binaries.bin;

  describe('fault: PostgreSQL restarted during 100 running runs', () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('loses no accepted run and never moves a status backwards', { timeout: 150_000 }, async () => {
      const postgres = await startPrivatePostgres(bin);
      cleanups.push(() => postgres.stop());
      const workerArgs = ['worker', '--concurrency', '50'];
      const c = await startCluster({
        databaseUrl: postgres.url,
        redisUrl,
        // Room for all 100 runs at once: two workers of 50, and no per-company cap below that.
        env: { WEFT_COMPANY_CONCURRENCY: '100', WEFT_LEASE_MS: '3000' },
        workers: [workerArgs, workerArgs],
      });
      cleanups.push(() => c.close());
      // Slow answers (3-4 s a step, so a run takes 9 s or more) keep the runs inside a step while
      // all 100 are started and claimed, however loaded the machine: the crash finds them running.
      const sink = await startSink(3000, 4000);
      cleanups.push(() => sink.close());
      const { api, flowId, accepted } = await startRuns(c.base, 'ops@pg.test', sink.port, STEPS, RUNS, {
        timeoutSeconds: 30,
        parallel: 20,
      });

      // Watch every run's status in the database all along; a regression is a status seen after a later one.
      const seen = new Map<string, string>();
      const regressions: string[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const client = new pg.Client({ connectionString: postgres.url, connectionTimeoutMillis: 1000 });
          client.on('error', () => {});
          try {
            await client.connect();
            while (watching) {
              const { rows } = await client.query<{ id: string; status: string }>(`SELECT id, status FROM "${c.schema}".runs`);
              for (const { id, status } of rows) {
                const before = seen.get(id);
                if (before !== undefined && (rank(status) < rank(before) || (rank(before) === 2 && status !== before)))
                  regressions.push(`${id}: ${before} → ${status}`);
                seen.set(id, status);
              }
              await sleep(100);
            }
          } catch {
            // The database is down: try again shortly.
            await sleep(200);
          } finally {
            await client.end().catch(() => {});
          }
        }
      })();

      const running = await waitFor(
        async () => {
          const counts = await c.statuses();
          return (counts.running ?? 0) >= RUNS * 0.8 ? counts.running : undefined;
        },
        60_000,
        () => 'the runs did not get running',
      );
      const deliveredAtCrash = sink.count();
      await postgres.crash();

      // While it is down, starts are refused (never accepted and then lost): keep trying for 3 s.
      const duringOutage: number[] = [];
      const outageEnds = Date.now() + 3000;
      while (Date.now() < outageEnds) {
        const res = await api.call('POST', `/api/v1/flows/${flowId}/start`, { payload: '{"outage":true}' }).catch(() => undefined);
        duringOutage.push(res?.status ?? 0);
        if (res !== undefined && res.status >= 200 && res.status < 300) accepted.push(res.body.flow_run_id as string);
        await sleep(200);
      }
      await postgres.start();
      // Nothing resumes before the database is back, so a step first delivered after this is not in flight at the crash.
      const restartedAt = Date.now();

      await waitFor(
        async () => {
          const statuses = await c.runStatuses().catch(() => undefined);
          if (statuses === undefined) return false;
          expect(accepted.filter((id) => statuses.get(id) === 'failure')).toEqual([]);
          return accepted.every((id) => statuses.get(id) === 'success');
        },
        90_000,
        () => `not every accepted run succeeded (${JSON.stringify(Object.fromEntries(seen))})`,
      );
      watching = false;
      await watcher;

      expect(running).toBeGreaterThanOrEqual(RUNS * 0.8);
      expect(deliveredAtCrash, 'the crash came while steps were being delivered').toBeLessThan(RUNS * STEPS.length);
      expect(duringOutage.filter((s) => s >= 200 && s < 300).length, `outage answers ${duringOutage.join(',')}`).toBe(0);
      expect(regressions).toEqual([]);
      // Runs that lost their database mid-step resume: that step may be delivered again, with the same key.
      expectAtLeastOnceAcrossKills(sink.deliveries, accepted.slice(0, RUNS), STEPS, [restartedAt]);
    });
  });
}
