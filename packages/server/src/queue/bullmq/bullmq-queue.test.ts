import { randomBytes } from 'node:crypto';
import { Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { queueConformanceSuite } from '../conformance.js';
import type { QueueJob } from '../types.js';
import { BullMqQueue, type BullMqQueueOptions, queueName } from './bullmq-queue.js';

const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;

it('rejects an enqueue Redis does not take in time (the run is committed; the reconciler finds it)', async () => {
  // Nothing listens on port 9: the client keeps reconnecting and the add waits.
  const queue = new BullMqQueue({ url: 'redis://127.0.0.1:9', prefix: 'weft-test-down', enqueueTimeoutMs: 200 });
  const startedAt = Date.now();
  await expect(
    queue.enqueue({ runId: 'r1', companyId: 'c1', priority: 3, expedite: false, queuedAt: new Date().toISOString() }),
  ).rejects.toThrow(/Redis did not take run r1 within 200 ms/);
  expect(Date.now() - startedAt).toBeLessThan(2000);
  await queue.close();
});

if (REDIS_URL === undefined) {
  it.skip('BullMQ queue: runs only when WEFT_TEST_REDIS_URL names a Redis server (e.g. redis://127.0.0.1:6379)', () => {});
} else {
  const url = REDIS_URL;
  const admin = new Redis(url);
  const prefixes: string[] = [];
  const opened: BullMqQueue[] = [];

  /** Each test gets its own key prefix; every key under it is deleted after the test. */
  const freshPrefix = () => {
    const prefix = `weft-test-${randomBytes(6).toString('hex')}`;
    prefixes.push(prefix);
    return prefix;
  };
  const open = (prefix: string, options: Partial<BullMqQueueOptions> = {}) => {
    const queue = new BullMqQueue({ url, prefix, sweepMs: 100, lockMs: 1000, retryBaseMs: 100, ...options });
    opened.push(queue);
    return queue;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close()));
    for (const prefix of prefixes.splice(0)) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
    }
  });
  afterAll(async () => {
    await admin.quit();
  });

  queueConformanceSuite('bullmq', async () => open(freshPrefix()));

  const job = (runId: string, companyId = 'c1', over: Partial<QueueJob> = {}): QueueJob => ({
    runId,
    companyId,
    priority: 3,
    expedite: false,
    queuedAt: new Date().toISOString(),
    ...over,
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await sleep(10);
    }
  }

  describe('BullMQ queue across processes (two instances on one prefix)', () => {
    it('holds the per-company concurrency across both instances', async () => {
      const prefix = freshPrefix();
      const [one, two] = [open(prefix), open(prefix)];
      let running = 0;
      let peak = 0;
      const seen: string[] = [];
      const handler = async (j: QueueJob) => {
        seen.push(j.runId);
        running++;
        peak = Math.max(peak, running);
        await sleep(40);
        running--;
      };
      one.consume(handler, { concurrency: 4, companyConcurrency: 2 });
      two.consume(handler, { concurrency: 4, companyConcurrency: 2 });
      for (let i = 0; i < 16; i++) await (i % 2 === 0 ? one : two).enqueue(job(`r${i}`));
      await until(() => seen.length === 16);
      expect(peak).toBe(2);
      expect(new Set(seen).size).toBe(16);
    });

    it('hands each job to only one of them, however often and wherever it is enqueued', async () => {
      const prefix = freshPrefix();
      const [one, two] = [open(prefix), open(prefix)];
      const seen: string[] = [];
      const handler = async (j: QueueJob) => {
        seen.push(j.runId);
        await sleep(5);
      };
      one.consume(handler, { concurrency: 8, companyConcurrency: 4 });
      two.consume(handler, { concurrency: 8, companyConcurrency: 4 });
      const jobs = Array.from({ length: 60 }, (_, i) => job(`r${i}`, `c${i % 3}`));
      await Promise.all(jobs.flatMap((j) => [one.enqueue(j), two.enqueue(j), one.enqueue(j)]));
      await until(() => seen.length >= 60);
      await sleep(100);
      expect(seen.length).toBe(60);
      expect(new Set(seen).size).toBe(60);
    });

    it('lets a company with one job through while another has a long backlog', async () => {
      const prefix = freshPrefix();
      const [one, two] = [open(prefix), open(prefix)];
      for (let i = 0; i < 40; i++) await one.enqueue(job(`a${i}`, 'A'));
      const seen: string[] = [];
      const handler = async (j: QueueJob) => {
        seen.push(j.runId);
        await sleep(10);
      };
      one.consume(handler, { concurrency: 2, companyConcurrency: 4 });
      two.consume(handler, { concurrency: 2, companyConcurrency: 4 });
      await until(() => seen.length >= 4);
      await two.enqueue(job('b1', 'B'));
      const at = seen.length;
      await until(() => seen.includes('b1'));
      // Each instance gives B the next turn: B's job goes out within a few hand-outs, not after A's 40.
      expect(seen.indexOf('b1') - at).toBeLessThan(6);
    });

    it('gives a job held by a process that died to another one once its lock expires', async () => {
      const prefix = freshPrefix();
      const producer = open(prefix);
      await producer.enqueue(job('r1'));
      // A "process" that takes the job by hand and then dies: it never renews the lock.
      const dead = new BullWorker(queueName('c1'), null, { connection: { url }, prefix, lockDuration: 300 });
      const taken = await dead.getNextJob('dead-token', { block: false });
      expect(taken?.id).toBe('r1');
      await dead.close(true);

      const seen: string[] = [];
      const alive = open(prefix, { lockMs: 300 });
      const startedAt = Date.now();
      alive.consume(
        async (j) => {
          seen.push(j.runId);
        },
        { concurrency: 2, companyConcurrency: 2 },
      );
      await until(() => seen.length === 1, 5000);
      expect(seen).toEqual(['r1']);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
    });

    it('hands a job whose handler threw out again after a delay', async () => {
      const prefix = freshPrefix();
      const queue = open(prefix, { retryBaseMs: 200 });
      const at: number[] = [];
      queue.consume(
        async () => {
          at.push(Date.now());
          if (at.length === 1) throw new Error('store unavailable');
        },
        { concurrency: 1, companyConcurrency: 1 },
      );
      await queue.enqueue(job('r1'));
      await until(() => at.length === 2, 5000);
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(190);
    });

    it('hands a run out again when it is enqueued after its job finished (what the reconciler relies on)', async () => {
      const prefix = freshPrefix();
      const queue = open(prefix);
      const seen: string[] = [];
      queue.consume(
        async (j) => {
          seen.push(j.runId);
        },
        { concurrency: 1, companyConcurrency: 1 },
      );
      await queue.enqueue(job('r1'));
      await until(() => seen.length === 1);
      await sleep(50);
      await queue.enqueue(job('r1'));
      await until(() => seen.length === 2);
      expect(seen).toEqual(['r1', 'r1']);
    });

    it('keeps every key under its prefix and reports the jobs waiting', async () => {
      const prefix = freshPrefix();
      const queue = open(prefix);
      for (let i = 0; i < 3; i++) await queue.enqueue(job(`r${i}`, `c${i}`));
      queue.size();
      await until(() => queue.size() === 3);
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch.filter((k) => k.includes(prefix)));
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => !k.startsWith(`${prefix}:`))).toEqual([]);
    });
  });
}
