import type { CacheScope, PayloadFormat } from '@weft/schema';

/** Which cache a step reads or writes: its name in a scope; the port adds the company. */
export interface CacheTarget {
  companyId: string;
  name: string;
  scope: CacheScope;
  /** The run id (scope run), the flow id (scope flow) or '' (scope company). */
  scopeId: string;
}

export interface CachedDocument {
  key: string;
  format: PayloadFormat;
  body: Buffer;
  meta: Record<string, string>;
}

export interface CacheWriteRequest {
  key: string;
  format: PayloadFormat;
  body: Buffer;
  meta: Record<string, string>;
  /** Seconds until the entry expires; undefined: never. */
  ttlSeconds?: number;
  /** `body` is a JSON array whose elements go to the end of the stored JSON array. */
  append: boolean;
  /** With append: the same key twice appends once (a retried step). */
  opKey?: string;
}

/**
 * Named caches (cache_add, cache_load, cache_lookup). Writes are atomic: one refused for the
 * cache's size cap (AppError CACHE_FULL) leaves the cache as it was.
 */
export interface CachePort {
  put(target: CacheTarget, write: CacheWriteRequest): Promise<void>;
  get(target: CacheTarget, key: string): Promise<CachedDocument | undefined>;
  /** Entries whose key starts with `keyPrefix`, by key, at most `limit`. */
  find(target: CacheTarget, keyPrefix: string, limit: number): Promise<CachedDocument[]>;
}

/** Data pools of seen values (dedupe). */
export interface DataPoolPort {
  /**
   * For each of `values` (distinct), whether the pool has not seen it (within its retention).
   * With `track` the values are recorded at once; concurrent callers never both learn a value is
   * new. `opKey` names the step execution, so its retry sees the values it recorded as new again.
   */
  see(companyId: string, pool: string, values: readonly string[], options: { track: boolean; opKey: string }): Promise<boolean[]>;
}

export interface TrackedValue {
  entity: string;
  value: string;
}

/** Tracked data (track_data): entity/value pairs recorded with the run, flow and step. */
export interface TrackedDataPort {
  record(
    context: { companyId: string; flowId: string; runId: string; stepId: string; itemKey: string },
    values: readonly TrackedValue[],
  ): Promise<void>;
}
