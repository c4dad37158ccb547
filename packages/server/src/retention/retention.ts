import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Store } from '../store/types.js';

export interface RetentionOptions {
  store: Pick<Store, 'deleteRunLogsBefore' | 'deletePayloadsBefore' | 'reclaimSpace' | 'purgeExpiredData'>;
  /** Run log lines older than this are deleted; 0 keeps them. */
  runLogRetentionHours: number;
  /** Payloads (of runs no longer queued or running) older than this are deleted; 0 keeps them. */
  payloadRetentionHours: number;
  /** How often start() applies retention. */
  intervalMs: number;
  /** Rows per transaction. Small, so the API's writes wait at most a few milliseconds. Default 500. */
  batchSize?: number;
  log?: (message: string, extra?: Record<string, unknown>) => void;
  /** Told of each batch deleted (for metrics). */
  onDeleted?: (kind: 'run_logs' | 'payloads', count: number) => void;
}

export interface RetentionResult {
  runLogsDeleted: number;
  payloadsDeleted: number;
  /** Expired cache entries and data pool values past their 90 days. */
  expiredDataDeleted: number;
  /** Free pages the store still holds after the pass (SQLite); 0 elsewhere. */
  freePagesLeft: number;
}

export interface Retention {
  start(): void;
  /** Stops the timer and waits for a pass in progress to end at its next batch. */
  stop(): Promise<void>;
  /** One pass at `now`: the timer calls it, tests call it with their own clock. */
  runOnce(now: Date): Promise<RetentionResult>;
}

/** Pages one incremental vacuum step frees (4 KiB each): about 8 MiB, a few milliseconds. */
const VACUUM_PAGES_PER_STEP = 2048;

/**
 * Retention (quality.md §1.7): deletes old run logs and payloads in small batches, yielding to
 * the event loop between them so the API and the worker are never held up for long, then gives
 * the freed space back to the file system. Every process that runs a worker runs one; two passes
 * at once on one database only delete the same rows, which is harmless.
 */
export function createRetention(options: RetentionOptions): Retention {
  const { store, log = () => {} } = options;
  const batchSize = options.batchSize ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function runOnce(now: Date): Promise<RetentionResult> {
    const result: RetentionResult = { runLogsDeleted: 0, payloadsDeleted: 0, expiredDataDeleted: 0, freePagesLeft: 0 };
    if (options.runLogRetentionHours > 0) {
      const before = new Date(now.getTime() - options.runLogRetentionHours * 3_600_000).toISOString();
      for (;;) {
        const n = await store.deleteRunLogsBefore(before, batchSize);
        result.runLogsDeleted += n;
        if (n > 0) options.onDeleted?.('run_logs', n);
        if (n < batchSize || stopped) break;
        await yieldTurn();
      }
    }
    if (options.payloadRetentionHours > 0) {
      const before = new Date(now.getTime() - options.payloadRetentionHours * 3_600_000).toISOString();
      let after: string | undefined;
      for (;;) {
        const { deleted, lastId } = await store.deletePayloadsBefore(before, batchSize, after);
        result.payloadsDeleted += deleted;
        if (deleted > 0) options.onDeleted?.('payloads', deleted);
        if (lastId === undefined || stopped) break;
        after = lastId;
        await yieldTurn();
      }
    }
    // Caches and data pools expire by their own rules (ttl, 90 days unseen), whatever the settings above.
    for (;;) {
      const { cacheEntries, poolValues } = await store.purgeExpiredData(now.toISOString(), batchSize);
      result.expiredDataDeleted += cacheEntries + poolValues;
      if ((cacheEntries < batchSize && poolValues < batchSize) || stopped) break;
      await yieldTurn();
    }
    for (let before = Number.POSITIVE_INFINITY; ; ) {
      result.freePagesLeft = await store.reclaimSpace(VACUUM_PAGES_PER_STEP);
      // Stops too when a step frees nothing (a database that cannot vacuum incrementally).
      if (result.freePagesLeft === 0 || result.freePagesLeft >= before || stopped) break;
      before = result.freePagesLeft;
      await yieldTurn();
    }
    return result;
  }

  function loop(): void {
    if (stopped) return;
    running = runOnce(new Date())
      .then((r) => {
        if (r.runLogsDeleted > 0 || r.payloadsDeleted > 0) log('retention pass', { ...r });
      })
      .catch((err: unknown) => log('retention pass failed', { err }))
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(loop, options.intervalMs);
          timer.unref();
        }
      });
  }

  return {
    start() {
      if (timer !== undefined || running !== undefined) return;
      stopped = false;
      // The first pass waits a little: a starting process has better things to do.
      timer = setTimeout(loop, Math.min(options.intervalMs, 30_000));
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    runOnce,
  };
}
