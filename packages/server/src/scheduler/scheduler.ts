import { createHash } from 'node:crypto';
import { AppError } from '@weft/schema';
import { CronExpressionParser } from 'cron-parser';
import type { Queue } from '../queue/types.js';
import type { Run, Store } from '../store/types.js';

export interface SchedulerOptions {
  store: Store;
  queue: Pick<Queue, 'enqueue'>;
  /** How often the scheduler looks for due ticks. Default 15 000 (a quarter of the smallest cron step). */
  intervalMs?: number;
  log?: (message: string, extra?: Record<string, unknown>) => void;
}

export interface Scheduler {
  start(): void;
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
  /** Starts the runs of every cron tick due at `now`; the timer calls it, tests call it with their own clock. */
  tick(now: Date): Promise<Run[]>;
}

const DEFAULT_INTERVAL_MS = 15_000;

/** The most recent tick of the cron at or before `now`; throws for an expression cron-parser refuses. */
export function lastTick(cron: string, now: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: new Date(now.getTime() + 1), tz: 'UTC' })
    .prev()
    .toDate();
}

/** The first tick of the cron after `now`; undefined for an expression cron-parser refuses. */
export function nextTick(cron: string, now: Date): Date | undefined {
  try {
    return CronExpressionParser.parse(cron, { currentDate: now, tz: 'UTC' }).next().toDate();
  } catch {
    return undefined;
  }
}

/**
 * Fires each deployed, enabled flow's cron ticks (spec/flows.md §5). Every process that runs a
 * worker runs one, and nothing coordinates them but the store: each tick's run is created with the
 * idempotency key `schedule:<flowId>:<tick>`, so whichever process comes first creates it and the
 * others get the same run back. A tick fires only while it is recent (within two intervals, so a
 * late timer does not drop it); ticks missed while every process was down are not replayed.
 */
export function createScheduler({ store, queue, intervalMs = DEFAULT_INTERVAL_MS, log = () => {} }: SchedulerOptions): Scheduler {
  const windowMs = 2 * intervalMs;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  // One warning per bad expression, not one per interval.
  const warned = new Set<string>();

  async function tick(now: Date): Promise<Run[]> {
    const created: Run[] = [];
    for (const flow of await store.listScheduledFlows()) {
      const due = new Set<string>();
      for (const cron of flow.schedules) {
        let at: Date;
        try {
          at = lastTick(cron, now);
        } catch (err) {
          const key = `${flow.flowId}\0${cron}`;
          if (!warned.has(key)) log('skipping a cron expression that does not parse', { flowId: flow.flowId, cron, err });
          warned.add(key);
          continue;
        }
        if (now.getTime() - at.getTime() < windowMs) due.add(at.toISOString());
      }
      for (const at of due) {
        const key = `schedule:${flow.flowId}:${at}`;
        try {
          const { run, replayed } = await store.createRun(flow.companyId, {
            flowId: flow.flowId,
            versionId: flow.versionId,
            trigger: 'schedule',
            priority: flow.priority,
            expedite: false,
            input: { format: 'text', meta: { scheduled_at: at }, body: Buffer.alloc(0) },
            // Constant per key: every process asks for the same run, so none is told the key was reused.
            idempotency: { key, requestHash: createHash('sha256').update(key).digest('hex') },
          });
          if (replayed) continue;
          created.push(run);
          queue
            .enqueue({ runId: run.id, companyId: run.companyId, priority: run.priority, expedite: run.expedite, queuedAt: run.queuedAt })
            .catch((err: unknown) => log('enqueue failed; the reconciler will pick the run up', { runId: run.id, err }));
        } catch (err) {
          // One flow's failure (its version removed meanwhile, the store busy) must not stop the others.
          if (!(err instanceof AppError)) throw err;
          log('could not start a scheduled run', { flowId: flow.flowId, at, err });
        }
      }
    }
    return created;
  }

  function loop(): void {
    if (stopped) return;
    running = tick(new Date())
      .catch((err: unknown) => log('scheduler tick failed', { err }))
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(loop, intervalMs);
          timer.unref();
        }
      });
  }

  return {
    start() {
      if (timer !== undefined || running !== undefined) return;
      stopped = false;
      loop();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    tick,
  };
}
