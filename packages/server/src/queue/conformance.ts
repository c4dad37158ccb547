import { afterEach, describe, expect, it } from 'vitest';
import type { Queue, QueueJob } from './types.js';

/**
 * The queue conformance suite: every adapter (local now, bullmq with the distributed mode)
 * must hand out work in the same order and within the same limits.
 */
export function queueConformanceSuite(name: string, makeQueue: () => Promise<Queue>) {
  describe(`queue conformance: ${name}`, () => {
    let queue: Queue | undefined;
    afterEach(async () => {
      await queue?.close();
      queue = undefined;
    });

    const job = (runId: string, over: Partial<QueueJob> = {}): QueueJob => ({
      runId,
      companyId: 'c1',
      priority: 3,
      expedite: false,
      queuedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, Number(runId.replace(/\D/g, '') || 0))).toISOString(),
      ...over,
    });

    /** Collects the order jobs are handed out in, one at a time. */
    async function order(jobs: QueueJob[], companyConcurrency = 1): Promise<string[]> {
      queue = await makeQueue();
      for (const j of jobs) await queue.enqueue(j);
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        queue!.consume(
          async (j) => {
            seen.push(j.runId);
            if (seen.length === jobs.length) resolve();
          },
          { concurrency: 1, companyConcurrency },
        );
      });
      return seen;
    }

    it('hands out higher priorities first and the oldest first within a priority', async () => {
      const seen = await order([
        job('r1', { priority: 5 }),
        job('r2', { priority: 1 }),
        job('r3', { priority: 3 }),
        job('r4', { priority: 1 }),
      ]);
      expect(seen).toEqual(['r2', 'r4', 'r3', 'r1']);
    });

    it('hands out expedited jobs (manual starts, retries) ahead of queued work', async () => {
      const seen = await order([job('r1', { priority: 1 }), job('r2', { priority: 5, expedite: true }), job('r3')]);
      expect(seen).toEqual(['r2', 'r1', 'r3']);
    });

    it('lets companies take turns so one backlog does not starve another', async () => {
      const jobs = [
        ...Array.from({ length: 5 }, (_, i) => job(`a${i + 1}`, { companyId: 'A' })),
        job('b6', { companyId: 'B' }),
        job('b7', { companyId: 'B' }),
      ];
      const seen = await order(jobs);
      expect(seen.indexOf('b6')).toBeLessThan(2);
      expect(seen.indexOf('b7')).toBeLessThan(4);
    });

    it('never runs more of one company at once than its concurrency allows', async () => {
      queue = await makeQueue();
      let running = 0;
      let peak = 0;
      let done = 0;
      for (let i = 0; i < 12; i++) await queue.enqueue(job(`r${i}`));
      await new Promise<void>((resolve) => {
        queue!.consume(
          async () => {
            running++;
            peak = Math.max(peak, running);
            // Long enough for a distributed queue to hand out the next jobs (a round trip each) meanwhile.
            await new Promise((r) => setTimeout(r, 25));
            running--;
            if (++done === 12) resolve();
          },
          { concurrency: 8, companyConcurrency: 3 },
        );
      });
      expect(peak).toBe(3);
    });

    it('hands a run out once even when it is enqueued twice', async () => {
      queue = await makeQueue();
      const seen: string[] = [];
      queue.consume(
        async (j) => {
          seen.push(j.runId);
          await new Promise((r) => setTimeout(r, 10));
        },
        { concurrency: 4, companyConcurrency: 4 },
      );
      await queue.enqueue(job('r1'));
      await queue.enqueue(job('r1'));
      // A distributed queue may take a few round trips to hand r1 out; then any second hand-out would follow within 40 ms.
      for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 40));
      expect(seen).toEqual(['r1']);
    });

    it('keeps handing out work after a handler throws', async () => {
      queue = await makeQueue();
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        queue!.consume(
          async (j) => {
            seen.push(j.runId);
            if (j.runId === 'r1') throw new Error('boom');
            resolve();
          },
          { concurrency: 1, companyConcurrency: 1 },
        );
        void queue!.enqueue(job('r1'));
        void queue!.enqueue(job('r2'));
      });
      expect(seen).toEqual(['r1', 'r2']);
    });

    it('waits for running handlers on close and hands out nothing afterwards', async () => {
      queue = await makeQueue();
      let finished = false;
      const seen: string[] = [];
      queue.consume(
        async (j) => {
          seen.push(j.runId);
          await new Promise((r) => setTimeout(r, 30));
          finished = true;
        },
        { concurrency: 1, companyConcurrency: 1 },
      );
      await queue.enqueue(job('r1'));
      await queue.enqueue(job('r2'));
      // Close while r1 is being handled; a distributed queue needs a round trip or two to hand it out.
      for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      await queue.close();
      expect(finished).toBe(true);
      await queue.enqueue(job('r3'));
      await new Promise((r) => setTimeout(r, 40));
      expect(seen).toEqual(['r1']);
      queue = undefined;
    });
  });
}
