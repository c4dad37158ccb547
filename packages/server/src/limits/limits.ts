import { AppError } from '@weft/schema';
import type { Config } from '../config/index.js';
import type { Store } from '../store/types.js';
import type { RateLimiter } from './rate-limiter.js';

/** A company's limits: the config's defaults, with any per-company override from settings. */
export interface CompanyLimits {
  startRatePerMinute: number;
  webhookRatePerMinute: number;
  queuedRunsMax: number;
}

/**
 * The per-company admission checks of the start and webhook endpoints. Each returns undefined when
 * it could decide from memory (the usual case: one bucket update), or a promise when it had to
 * read the store (an override not cached yet, a queued count older than a second).
 */
export interface Limits {
  /** Throws START_RATE_LIMITED or QUEUE_FULL (429 with Retry-After). */
  checkStart(companyId: string): Promise<void> | undefined;
  /** Throws WEBHOOK_RATE_LIMITED or QUEUE_FULL (429 with Retry-After). */
  checkWebhook(companyId: string): Promise<void> | undefined;
  /** The limits that apply to the company now (for tests and operators). */
  forCompany(companyId: string): Promise<CompanyLimits>;
  close(): Promise<void>;
}

/** The setting holding a company's overrides, e.g. `{"start_rate_per_minute": 1000}`. */
export function companyLimitsKey(companyId: string): string {
  return `limits:${companyId}`;
}

const OVERRIDE_TTL_MS = 60_000;
const QUEUED_TTL_MS = 1_000;
const QUEUE_FULL_RETRY_S = 5;

export function createLimits(deps: {
  config: Config;
  store: Pick<Store, 'getSetting' | 'countQueuedRuns'>;
  limiter: RateLimiter;
  now?: () => number;
  /** Told of every refusal, by error code (for metrics). */
  onRefused?: (code: 'START_RATE_LIMITED' | 'WEBHOOK_RATE_LIMITED' | 'QUEUE_FULL') => void;
}): Limits {
  const { config, store, limiter } = deps;
  const now = deps.now ?? Date.now;
  const defaults: CompanyLimits = {
    startRatePerMinute: config.startRatePerMinute,
    webhookRatePerMinute: config.webhookRatePerMinute,
    queuedRunsMax: config.queuedRunsMax,
  };
  const overrides = new Map<string, { limits: CompanyLimits; atMs: number }>();
  const queued = new Map<string, { count: number; atMs: number }>();

  async function readLimits(companyId: string): Promise<CompanyLimits> {
    const raw = await store.getSetting(companyLimitsKey(companyId));
    const limits = raw === undefined ? defaults : { ...defaults, ...parseOverride(raw) };
    if (overrides.size > 10_000) overrides.clear();
    overrides.set(companyId, { limits, atMs: now() });
    return limits;
  }

  function cachedLimits(companyId: string): CompanyLimits | undefined {
    const kept = overrides.get(companyId);
    return kept !== undefined && now() - kept.atMs < OVERRIDE_TTL_MS ? kept.limits : undefined;
  }

  function takeRate(kind: 'start' | 'webhook', companyId: string, perMinute: number): Promise<void> | undefined {
    if (perMinute === 0) return undefined;
    const wait = limiter.take(`${kind}:${companyId}`, perMinute);
    const check = (ms: number) => {
      const refusal = rateLimited(kind, ms, perMinute);
      if (refusal !== undefined) throw refuse(refusal);
    };
    if (typeof wait === 'number') {
      check(wait);
      return undefined;
    }
    return wait.then(check);
  }

  function queueCheck(companyId: string, max: number): Promise<void> | undefined {
    if (max === 0) return undefined;
    const kept = queued.get(companyId);
    if (kept !== undefined && now() - kept.atMs < QUEUED_TTL_MS) {
      if (kept.count >= max) throw refuse(queueFull(max));
      // Counted until the next read, so a burst inside one second cannot overshoot far.
      kept.count++;
      return undefined;
    }
    return store.countQueuedRuns(companyId).then((count) => {
      if (queued.size > 10_000) queued.clear();
      queued.set(companyId, { count: count + 1, atMs: now() });
      if (count >= max) throw refuse(queueFull(max));
    });
  }

  /** Every refusal is made here, so it is counted where it happens. */
  function refuse(err: AppError & { code: 'START_RATE_LIMITED' | 'WEBHOOK_RATE_LIMITED' | 'QUEUE_FULL' }): AppError {
    deps.onRefused?.(err.code);
    return err;
  }

  function admit(kind: 'start' | 'webhook', companyId: string): Promise<void> | undefined {
    const limits = cachedLimits(companyId);
    return limits === undefined
      ? readLimits(companyId).then((read) => admitWith(kind, companyId, read))
      : admitWith(kind, companyId, limits);
  }

  function admitWith(kind: 'start' | 'webhook', companyId: string, limits: CompanyLimits): Promise<void> | undefined {
    const rate = takeRate(kind, companyId, kind === 'start' ? limits.startRatePerMinute : limits.webhookRatePerMinute);
    if (rate !== undefined) return rate.then(() => queueCheck(companyId, limits.queuedRunsMax));
    return queueCheck(companyId, limits.queuedRunsMax);
  }

  return {
    checkStart: (companyId) => admit('start', companyId),
    checkWebhook: (companyId) => admit('webhook', companyId),
    forCompany: async (companyId) => cachedLimits(companyId) ?? readLimits(companyId),
    close: () => limiter.close(),
  };
}

/** The refusal when the bucket says to wait; undefined when the call may go ahead. */
function rateLimited(
  kind: 'start' | 'webhook',
  waitMs: number,
  perMinute: number,
): (AppError & { code: 'START_RATE_LIMITED' | 'WEBHOOK_RATE_LIMITED' }) | undefined {
  if (waitMs <= 0) return undefined;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const what = kind === 'start' ? 'starts' : 'webhook calls';
  const code = kind === 'start' ? 'START_RATE_LIMITED' : 'WEBHOOK_RATE_LIMITED';
  return new AppError(code, `This company may make ${perMinute} ${what} per minute; try again in ${seconds} seconds.`, {
    headers: { 'retry-after': String(seconds) },
  }) as AppError & { code: typeof code };
}

function queueFull(max: number): AppError & { code: 'QUEUE_FULL' } {
  return new AppError(
    'QUEUE_FULL',
    `This company has ${max} or more runs waiting; new runs are refused until some finish. Try again in ${QUEUE_FULL_RETRY_S} seconds.`,
    { headers: { 'retry-after': String(QUEUE_FULL_RETRY_S) } },
  ) as AppError & { code: 'QUEUE_FULL' };
}

/** The `limits:<company id>` setting's limit fields, by their name in the setting. */
export const LIMIT_FIELDS: Record<string, keyof CompanyLimits> = {
  start_rate_per_minute: 'startRatePerMinute',
  webhook_rate_per_minute: 'webhookRatePerMinute',
  queued_runs_max: 'queuedRunsMax',
};

/** The override setting's known fields with non-negative integer values; anything else is ignored. */
export function parseOverride(raw: string): Partial<CompanyLimits> {
  return integerFields<CompanyLimits>(raw, LIMIT_FIELDS, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * The named fields of a JSON object setting whose values are integers in [min, max], under their
 * own names; bad JSON, other values and unknown fields are ignored. The limits and the retention
 * windows share one `limits:<company id>` setting and read it with this.
 */
export function integerFields<T>(raw: string, fields: Record<string, keyof T>, min: number, max: number): Partial<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return {};
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Partial<T> = {};
  for (const [name, field] of Object.entries(fields)) {
    const v = (value as Record<string, unknown>)[name];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) out[field] = v as T[keyof T];
  }
  return out;
}
