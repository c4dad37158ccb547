import { setImmediate as yieldTurn } from 'node:timers/promises';
import { companyLimitsKey } from '../limits/limits.js';
import type { RetentionScope } from '../store/operations-types.js';
import type { Store } from '../store/types.js';
import { type RetentionOverride, retentionOverrides } from './retention-overrides.js';

/** What retention deletes and counts. */
export type RetentionKind = 'run_logs' | 'payloads';

export interface RetentionOptions {
  store: Pick<Store, 'deleteRunLogsBefore' | 'deletePayloadsBefore' | 'reclaimSpace' | 'purgeExpiredData' | 'listSettingsByPrefix'>;
  /** Run log lines older than this are deleted; 0 keeps them. A company's own setting (weft limits) wins. */
  runLogRetentionHours: number;
  /** Payloads (of runs no longer queued or running) older than this are deleted; 0 keeps them. */
  payloadRetentionHours: number;
  /** How often start() applies retention. */
  intervalMs: number;
  /** Rows per transaction. Small, so the API's writes wait at most a few milliseconds. Default 500. */
  batchSize?: number;
  log?: (message: string, extra?: Record<string, unknown>) => void;
  /** Told of each batch deleted (for metrics). */
  onDeleted?: (kind: RetentionKind, count: number) => void;
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
    const overrides = retentionOverrides(await store.listSettingsByPrefix(companyLimitsKey('')));
    for (const { hours, scope } of windows(overrides, 'runLogRetentionHours', options.runLogRetentionHours)) {
      const before = new Date(now.getTime() - hours * 3_600_000).toISOString();
      for (;;) {
        const n = await store.deleteRunLogsBefore(before, batchSize, scope);
        result.runLogsDeleted += n;
        if (n > 0) options.onDeleted?.('run_logs', n);
        if (n < batchSize || stopped) break;
        await yieldTurn();
      }
      if (stopped) break;
    }
    for (const { hours, scope } of windows(overrides, 'payloadRetentionHours', options.payloadRetentionHours)) {
      const before = new Date(now.getTime() - hours * 3_600_000).toISOString();
      let after: string | undefined;
      for (;;) {
        const { deleted, lastId } = await store.deletePayloadsBefore(before, batchSize, after, scope);
        result.payloadsDeleted += deleted;
        if (deleted > 0) options.onDeleted?.('payloads', deleted);
        if (lastId === undefined || stopped) break;
        after = lastId;
        await yieldTurn();
      }
      if (stopped) break;
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

/**
 * The deletion passes of one kind: the default window over every company without its own, then
 * each company's own window over its rows alone. Without overrides, one unscoped pass (the fast path).
 */
function windows(
  overrides: Map<string, RetentionOverride>,
  field: keyof RetentionOverride,
  defaultHours: number,
): Array<{ hours: number; scope: RetentionScope | undefined }> {
  const own = [...overrides].flatMap(([companyId, o]) => (o[field] === undefined ? [] : [{ companyId, hours: o[field] }]));
  const passes: Array<{ hours: number; scope: RetentionScope | undefined }> = [];
  if (defaultHours > 0) {
    passes.push({ hours: defaultHours, scope: own.length === 0 ? undefined : { exceptCompanyIds: own.map((o) => o.companyId) } });
  }
  for (const { companyId, hours } of own) passes.push({ hours, scope: { companyId } });
  return passes;
}
