/**
 * Store methods of the operational side (limits and retention), in their own interface so the
 * main Store contract stays readable. Implemented in sqlite/operations.ts and postgres/operations.ts.
 */
export interface OperationsStore {
  /** Runs of the company waiting in status queued (from the run totals, not a count of rows). */
  countQueuedRuns(companyId: string): Promise<number>;
  /** Sets a server-wide setting; null removes it. For operators (per-company limits), never for tenants. */
  putSetting(key: string, value: string | null): Promise<void>;
  /**
   * Deletes run log rows created before `before`, oldest first, at most `limit` of them in one
   * short transaction. Returns how many were deleted; fewer than `limit` means none older remain.
   */
  deleteRunLogsBefore(before: string, limit: number, scope?: RetentionScope): Promise<number>;
  /**
   * Deletes payloads created before `before` whose run is not queued or running, walking payload
   * ids after `after` (ids are time-ordered), at most `limit` rows examined in one short
   * transaction. Bodies stored once per content go when no remaining payload names them.
   * `lastId` is where the next batch starts; undefined when the walk reached `before`.
   */
  deletePayloadsBefore(
    before: string,
    limit: number,
    after?: string,
    scope?: RetentionScope,
  ): Promise<{ deleted: number; lastId: string | undefined }>;
  /** Settings whose key starts with `prefix` (e.g. every company's `limits:` override), for operators' jobs. */
  listSettingsByPrefix(prefix: string): Promise<Array<{ key: string; value: string }>>;
  /**
   * Gives freed space back: SQLite runs an incremental vacuum of at most `maxPages` pages and
   * returns how many free pages remain; PostgreSQL leaves it to autovacuum and returns 0.
   */
  reclaimSpace(maxPages: number): Promise<number>;
}

/**
 * Which companies' rows a retention batch may delete (per-company windows): only `companyId`'s,
 * or everyone's but `exceptCompanyIds`' (the default window, skipping companies with their own).
 * Without a scope, every company's rows.
 */
export type RetentionScope = { companyId: string } | { exceptCompanyIds: string[] };

/** The smallest time-ordered id (UUIDv7, see ids.ts) of the given millisecond: ids below it are older. */
export function idBoundaryAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
