import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { answeredBefore, apiClient, expectAtLeastOnceWithoutRepeats, freePort, startDeliverySink, startWeft } from './weft-process.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;

/**
 * Distributed mode with real processes: `weft api` plus `weft worker`s on one PostgreSQL schema and
 * one Redis prefix. The sink records deliveries as in crash-recovery.test.ts, so a re-executed
 * completed step (forbidden) can be told from a retry of the step in flight at a kill (allowed).
 */
if (DATABASE_URL === undefined || REDIS_URL === undefined) {
  it.skip('distributed mode: runs only when WEFT_TEST_DATABASE_URL and WEFT_TEST_REDIS_URL are set', () => {});
} else {
  const databaseUrl = DATABASE_URL;
  const redisUrl = REDIS_URL;
  const STEPS = ['a', 'b', 'c'];

  describe('distributed mode: weft api and weft workers on PostgreSQL and Redis', () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A fresh schema, Redis prefix and data dir, and a way to start processes on them (killed after the test). */
    async function cluster() {
      const id = randomBytes(5).toString('hex');
      const schema = `weft_e2e_${id}`;
      const prefix = `weft-e2e-${id}`;
      const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-dist-'));
      const redis = new Redis(redisUrl);
      const children: ChildProcess[] = [];
      const deletePrefixKeys = async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      };
      cleanups.push(async () => {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await Promise.all(
          children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)),
        );
        await deletePrefixKeys();
        await redis.quit();
        const admin = new pg.Client({ connectionString: databaseUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
        rmSync(dataDir, { recursive: true, force: true });
      });
      const port = await freePort();
      const env = {
        WEFT_DATA_DIR: dataDir,
        WEFT_PORT: String(port),
        WEFT_DATABASE_URL: databaseUrl,
        WEFT_DATABASE_SCHEMA: schema,
        WEFT_DATABASE_POOL_SIZE: '4',
        WEFT_REDIS_URL: redisUrl,
        WEFT_REDIS_PREFIX: prefix,
        WEFT_EGRESS_ALLOW: '127.0.0.1',
        WEFT_LEASE_MS: '1500',
        WEFT_RETRY_BASE_MS: '50',
      };
      const spawnWeft = async (args: string[]) => {
        const weft = startWeft(env, args);
        children.push(weft.child);
        await weft.ready;
        return weft;
      };
      // The API first: it migrates the fresh schema before any worker opens it.
      await spawnWeft(['api']);
      return { base: `http://127.0.0.1:${port}`, spawnWeft, deletePrefixKeys };
    }

    async function startRuns(base: string, email: string, count: number) {
      const sink = await startDeliverySink();
      cleanups.push(() => sink.close());
      const api = apiClient(base);
      await api.signUp(email);
      const flowId = await api.deployDeliveryFlow(sink.port, STEPS);
      const accepted: string[] = [];
      for (let i = 0; i < count; i++) {
        const res = await api.call('POST', `/api/v1/flows/${flowId}/start`, { payload: JSON.stringify({ n: i }) });
        expect(res.status).toBe(200);
        accepted.push(res.body.flow_run_id as string);
      }
      return { api, sink, accepted };
    }

    it('completes 50 runs with one of two workers SIGKILLed midway, re-running only steps in flight', { timeout: 180_000 }, async () => {
      const { base, spawnWeft } = await cluster();
      const [victim] = await Promise.all([spawnWeft(['worker', '--concurrency', '4']), spawnWeft(['worker', '--concurrency', '4'])]);
      const { api, sink, accepted } = await startRuns(base, 'ops@dist.test', 50);
      const { deliveries } = sink;

      while (deliveries.size < 60) await new Promise((r) => setTimeout(r, 10));
      const killedAt = Date.now();
      victim.child.kill('SIGKILL');
      await new Promise((r) => victim.child.once('exit', r));
      expect([...deliveries.values()].flat().length).toBeLessThan(150);

      await api.waitForSuccess(accepted, 90_000);

      expect(answeredBefore(deliveries, killedAt)).toBeGreaterThan(10);
      // The victim's requests may reach the sink a moment after kill() returns; its runs resume
      // elsewhere only after their lease (1.5 s) expires, so anything before this came from it.
      expectAtLeastOnceWithoutRepeats(deliveries, accepted, STEPS, killedAt + 500);
    });

    it('finishes every run after the queue lost its keys (as after FLUSHALL) while runs were queued', { timeout: 180_000 }, async () => {
      const { base, spawnWeft, deletePrefixKeys } = await cluster();
      await spawnWeft(['worker', '--concurrency', '2']);
      const { api, sink, accepted } = await startRuns(base, 'ops@flush.test', 40);
      const { deliveries } = sink;

      while (deliveries.size < 4) await new Promise((r) => setTimeout(r, 10));
      // Only this test's prefix: FLUSHALL would also wipe the queues of tests running alongside.
      await deletePrefixKeys();
      const startedAtFlush = new Set([...deliveries.values()].flat().map((d) => d.run)).size;
      expect(startedAtFlush).toBeLessThan(20);

      await api.waitForSuccess(accepted, 90_000);
      expectAtLeastOnceWithoutRepeats(deliveries, accepted, STEPS, 0);
      // Nothing ran twice: the flush lost only hand-outs, and the store's lease kept execution single.
      for (const [key, list] of deliveries) expect(list.length, key).toBe(1);
    });
  });
}
