import type { CacheScope, PayloadFormat } from '@weft/schema';
import type { Page, PageResult } from './types.js';

/**
 * The Store's part for run data that outlives a step: named caches (cache_add / cache_load /
 * cache_lookup), data pools (dedupe) and tracked data (track_data). Every method is scoped by
 * company; another company's id behaves like an unknown one.
 */

/** One cache: a name in a scope. `scopeId` is the run id (scope run), the flow id (scope flow) or '' (company). */
export interface CacheAddress {
  companyId: string;
  name: string;
  scope: CacheScope;
  scopeId: string;
}

export interface CacheInfo {
  id: string;
  companyId: string;
  name: string;
  scope: CacheScope;
  scopeId: string;
  /** Entries not expired at the last write; expired entries are dropped on the next write. */
  entries: number;
  /** Bytes of every entry's body; a write that would pass the cap is refused whole. */
  bytes: number;
  createdAt: string;
  updatedAt: string;
}

export interface CacheEntry {
  key: string;
  format: PayloadFormat;
  body: Buffer;
  meta: Record<string, string>;
  bytes: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

export interface CacheWrite {
  key: string;
  format: PayloadFormat;
  body: Buffer;
  meta: Record<string, string>;
  expiresAt: string | null;
  /**
   * Append mode: `body` is a JSON array whose elements go to the end of the entry's JSON array
   * (created when missing). A PAYLOAD_STRUCTURE_ERROR when the stored entry is not a JSON array.
   */
  append: boolean;
  /** With append: a key naming this write; a second write with the same key is skipped (a retried step appends once). */
  opKey?: string;
  /** The cap of the whole cache after the write; over it: AppError CACHE_FULL and nothing written. */
  maxBytes: number;
}

export interface CacheFilters {
  name?: string[];
  scope?: CacheScope[];
  scopeId?: string[];
}

export interface DataPool {
  id: string;
  companyId: string;
  name: string;
  description: string;
  /** Values seen within the retention window. */
  valuesCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DataPoolValue {
  value: string;
  firstSeen: string;
  lastSeen: string;
}

export interface DataPoolValueInput {
  value: string;
  firstSeen?: string;
  lastSeen?: string;
}

export interface SeeValuesOptions {
  /** Record the values (insert new ones, move last_seen of known ones); false only reads. */
  track: boolean;
  /** Names this step execution: values it recorded itself count as new again when it is retried. */
  opKey: string;
}

export interface TrackedDataInput {
  entity: string;
  value: string;
  flowId: string;
  runId: string;
  stepId: string;
  /** The step execution; the same (run, item, entity, value) is recorded once, so a retry adds nothing. */
  itemKey: string;
}

export interface TrackedData {
  id: string;
  companyId: string;
  entity: string;
  value: string;
  flowId: string;
  runId: string;
  stepId: string;
  createdAt: string;
}

/** Lists match any of their values. `from` inclusive, `to` exclusive, ISO 8601. */
export interface TrackedDataFilters {
  entity?: string[];
  value?: string[];
  flowId?: string[];
  runId?: string[];
  from?: string;
  to?: string;
}

export interface DataStore {
  // caches
  /** Writes one entry (see CacheWrite) in one transaction with the cache's totals. */
  putCacheEntry(cache: CacheAddress, write: CacheWrite): Promise<void>;
  /** The entry, unless missing or expired. */
  getCacheEntry(cache: CacheAddress, key: string): Promise<CacheEntry | undefined>;
  /** Entries not expired whose key starts with `keyPrefix`, by key, at most `limit`. */
  findCacheEntries(cache: CacheAddress, keyPrefix: string, limit: number): Promise<CacheEntry[]>;
  listCaches(companyId: string, filters: CacheFilters, page: Page): Promise<PageResult<CacheInfo>>;
  getCache(companyId: string, cacheId: string): Promise<CacheInfo | undefined>;
  /** Entries of a cache by key, bodies included; undefined when the cache does not exist. */
  listCacheEntries(companyId: string, cacheId: string, page: Page): Promise<PageResult<CacheEntry> | undefined>;
  getCacheEntryById(companyId: string, cacheId: string, key: string): Promise<CacheEntry | undefined>;
  /** Removes the cache and every entry; false when there is no such cache. */
  deleteCache(companyId: string, cacheId: string): Promise<boolean>;
  deleteCacheEntry(companyId: string, cacheId: string, key: string): Promise<boolean>;

  // data pools
  /** AppError CONFLICT when the company has a pool of that name. */
  createDataPool(companyId: string, input: { name: string; description?: string }): Promise<DataPool>;
  listDataPools(companyId: string, filters: { name?: string }, page: Page): Promise<PageResult<DataPool>>;
  getDataPool(companyId: string, poolId: string): Promise<DataPool | undefined>;
  /** AppError CONFLICT when renamed to a name taken; undefined when there is no such pool. */
  updateDataPool(companyId: string, poolId: string, patch: { name?: string; description?: string }): Promise<DataPool | undefined>;
  deleteDataPool(companyId: string, poolId: string): Promise<boolean>;
  /**
   * For each of `values` (distinct), whether the pool named `poolName` had not seen it within the
   * retention window (DATA_POOL_RETENTION_DAYS since it was last seen). With `track`, records them in the same transaction (the pool is created on
   * first use), so of concurrent callers exactly one learns a value is new.
   */
  seeDataPoolValues(companyId: string, poolName: string, values: readonly string[], options: SeeValuesOptions): Promise<boolean[]>;
  /** Values within the retention window, newest first seen first; `value` filters by prefix. */
  listDataPoolValues(
    companyId: string,
    poolId: string,
    filters: { value?: string },
    page: Page,
  ): Promise<PageResult<DataPoolValue> | undefined>;
  /** Every value within the retention window, oldest first seen first (CSV export). */
  exportDataPoolValues(companyId: string, poolId: string): Promise<DataPoolValue[] | undefined>;
  /** Adds the values (a known one keeps the earlier first_seen and the later last_seen); undefined when there is no such pool. */
  importDataPoolValues(companyId: string, poolId: string, values: readonly DataPoolValueInput[]): Promise<number | undefined>;
  /** Removes every value of the pool; undefined when there is no such pool. */
  clearDataPoolValues(companyId: string, poolId: string): Promise<number | undefined>;

  /**
   * Retention: deletes up to `limit` cache entries expired at `now` (keeping each cache's totals
   * right, and removing run-scoped caches left empty) and up to `limit` data pool values last seen
   * more than DATA_POOL_RETENTION_DAYS before `now`. Answers how many of each went.
   */
  purgeExpiredData(now: string, limit: number): Promise<{ cacheEntries: number; poolValues: number }>;

  // tracked data
  trackData(companyId: string, entries: readonly TrackedDataInput[]): Promise<void>;
  /** Newest first. AppError VALIDATION_FAILED when from/to is not a timestamp. */
  listTrackedData(companyId: string, filters: TrackedDataFilters, page: Page): Promise<PageResult<TrackedData>>;
}
