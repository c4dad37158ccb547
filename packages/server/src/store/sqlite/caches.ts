import type { CacheScope, PayloadFormat } from '@weft/schema';
import { appendJsonArray, appendMarkerCutoff, cacheFull } from '../data-shared.js';
import type { CacheAddress, CacheEntry, CacheInfo } from '../data-types.js';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

type CacheMethods = Pick<
  Store,
  | 'putCacheEntry'
  | 'getCacheEntry'
  | 'findCacheEntries'
  | 'listCaches'
  | 'getCache'
  | 'listCacheEntries'
  | 'getCacheEntryById'
  | 'deleteCache'
  | 'deleteCacheEntry'
>;

interface CacheRow {
  id: string;
  company_id: string;
  name: string;
  scope: string;
  scope_id: string;
  entries: number;
  bytes: number;
  created_at: string;
  updated_at: string;
}

interface EntryRow {
  key: string;
  format: string;
  body: Buffer;
  meta: string;
  bytes: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

const SQL = {
  cacheByAddress: 'SELECT * FROM caches WHERE company_id = ? AND name = ? AND scope = ? AND scope_id = ?',
  cacheById: 'SELECT * FROM caches WHERE company_id = ? AND id = ?',
  insertCache: `INSERT INTO caches (id, company_id, name, scope, scope_id, entries, bytes, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)`,
  expiredTotals: `SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM cache_entries
    WHERE cache_id = ? AND expires_at IS NOT NULL AND expires_at <= ?`,
  deleteExpired: 'DELETE FROM cache_entries WHERE cache_id = ? AND expires_at IS NOT NULL AND expires_at <= ?',
  entry: 'SELECT * FROM cache_entries WHERE cache_id = ? AND key = ?',
  liveEntry: 'SELECT * FROM cache_entries WHERE cache_id = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)',
  upsertEntry: `INSERT INTO cache_entries (cache_id, key, format, body, meta, bytes, created_at, updated_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (cache_id, key) DO UPDATE SET format = excluded.format, body = excluded.body, meta = excluded.meta,
      bytes = excluded.bytes, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
  updateTotals: 'UPDATE caches SET entries = ?, bytes = ?, updated_at = ? WHERE id = ?',
  markAppend: 'INSERT OR IGNORE INTO cache_appends (cache_id, op_key, created_at) VALUES (?, ?, ?)',
  dropOldMarks: 'DELETE FROM cache_appends WHERE cache_id = ? AND created_at < ?',
  findEntries: `SELECT * FROM cache_entries WHERE cache_id = ? AND substr(key, 1, ?) = ? AND (expires_at IS NULL OR expires_at > ?)
    ORDER BY key LIMIT ?`,
  deleteCache: 'DELETE FROM caches WHERE company_id = ? AND id = ?',
  deleteEntry: 'DELETE FROM cache_entries WHERE cache_id = ? AND key = ? RETURNING bytes, expires_at',
} as const;

function toCacheInfo(row: CacheRow): CacheInfo {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    scope: row.scope as CacheScope,
    scopeId: row.scope_id,
    entries: row.entries,
    bytes: row.bytes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toEntry(row: EntryRow): CacheEntry {
  return {
    key: row.key,
    format: row.format as PayloadFormat,
    body: row.body,
    meta: JSON.parse(row.meta) as Record<string, string>,
    bytes: row.bytes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

/**
 * Named caches. Every write is one synchronous function in the write queue's transaction, so the
 * read of the stored entry, the cap check and the write cannot interleave with another writer of
 * the same file (SQLite's write lock covers other processes).
 */
export function cacheMethods({ db }: SqliteContext): CacheMethods {
  const byAddress = (c: CacheAddress) =>
    db.statement(SQL.cacheByAddress).get(c.companyId, c.name, c.scope, c.scopeId) as CacheRow | undefined;

  return {
    putCacheEntry(cache, write) {
      return db.write(() => {
        const now = nowIso();
        let row = byAddress(cache);
        if (row === undefined) {
          const id = newId();
          db.statement(SQL.insertCache).run(id, cache.companyId, cache.name, cache.scope, cache.scopeId, now, now);
          row = {
            id,
            company_id: cache.companyId,
            name: cache.name,
            scope: cache.scope,
            scope_id: cache.scopeId,
            entries: 0,
            bytes: 0,
            created_at: now,
            updated_at: now,
          };
        }
        const expired = db.statement(SQL.expiredTotals).get(row.id, now) as { n: number; b: number };
        if (expired.n > 0) db.statement(SQL.deleteExpired).run(row.id, now);
        let entries = row.entries - expired.n;
        let bytes = row.bytes - expired.b;
        const existing = db.statement(SQL.entry).get(row.id, write.key) as EntryRow | undefined;
        let body = write.body;
        if (write.append) {
          if (write.opKey !== undefined) {
            db.statement(SQL.dropOldMarks).run(row.id, appendMarkerCutoff());
            if (db.statement(SQL.markAppend).run(row.id, write.opKey, now).changes === 0) return;
          }
          if (existing !== undefined) body = appendJsonArray(existing.body, write.body, cache.name, write.key, existing.format);
        }
        if (existing === undefined) entries++;
        bytes += body.length - (existing?.bytes ?? 0);
        if (bytes > write.maxBytes) throw cacheFull(cache.name, bytes, write.maxBytes);
        const format = write.append && existing !== undefined ? existing.format : write.format;
        db.statement(SQL.upsertEntry).run(
          row.id,
          write.key,
          format,
          body,
          JSON.stringify(write.meta),
          body.length,
          now,
          now,
          write.expiresAt,
        );
        db.statement(SQL.updateTotals).run(entries, bytes, now, row.id);
      });
    },

    async getCacheEntry(cache, key) {
      const row = byAddress(cache);
      if (row === undefined) return undefined;
      const entry = db.statement(SQL.liveEntry).get(row.id, key, nowIso()) as EntryRow | undefined;
      return entry === undefined ? undefined : toEntry(entry);
    },

    async findCacheEntries(cache, keyPrefix, limit) {
      const row = byAddress(cache);
      if (row === undefined) return [];
      const rows = db.statement(SQL.findEntries).all(row.id, keyPrefix.length, keyPrefix, nowIso(), limit) as EntryRow[];
      return rows.map(toEntry);
    },

    async listCaches(companyId, filters, page) {
      const where = ['company_id = ?'];
      const params: unknown[] = [companyId];
      const anyOf = (column: string, values: readonly string[] | undefined) => {
        if (!values?.length) return;
        where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values);
      };
      anyOf('name', filters.name);
      anyOf('scope', filters.scope);
      anyOf('scope_id', filters.scopeId);
      const clause = where.join(' AND ');
      const { limit, offset } = pageWindow(page);
      const rows = db
        .statement(`SELECT * FROM caches WHERE ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as CacheRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM caches WHERE ${clause}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toCacheInfo), total };
    },

    async getCache(companyId, cacheId) {
      const row = db.statement(SQL.cacheById).get(companyId, cacheId) as CacheRow | undefined;
      return row === undefined ? undefined : toCacheInfo(row);
    },

    async listCacheEntries(companyId, cacheId, page) {
      const row = db.statement(SQL.cacheById).get(companyId, cacheId) as CacheRow | undefined;
      if (row === undefined) return undefined;
      const now = nowIso();
      const { limit, offset } = pageWindow(page);
      const live = 'cache_id = ? AND (expires_at IS NULL OR expires_at > ?)';
      const rows = db
        .statement(`SELECT * FROM cache_entries WHERE ${live} ORDER BY key LIMIT ? OFFSET ?`)
        .all(row.id, now, limit, offset) as EntryRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM cache_entries WHERE ${live}`).get(row.id, now) as { n: number }).n;
      return { rows: rows.map(toEntry), total };
    },

    async getCacheEntryById(companyId, cacheId, key) {
      const row = db.statement(SQL.cacheById).get(companyId, cacheId) as CacheRow | undefined;
      if (row === undefined) return undefined;
      const entry = db.statement(SQL.liveEntry).get(row.id, key, nowIso()) as EntryRow | undefined;
      return entry === undefined ? undefined : toEntry(entry);
    },

    deleteCache(companyId, cacheId) {
      return db.write(() => db.statement(SQL.deleteCache).run(companyId, cacheId).changes === 1);
    },

    deleteCacheEntry(companyId, cacheId, key) {
      return db.write(() => {
        const row = db.statement(SQL.cacheById).get(companyId, cacheId) as CacheRow | undefined;
        if (row === undefined) return false;
        const gone = db.statement(SQL.deleteEntry).get(row.id, key) as { bytes: number } | undefined;
        if (gone === undefined) return false;
        db.statement(SQL.updateTotals).run(Math.max(0, row.entries - 1), Math.max(0, row.bytes - gone.bytes), nowIso(), row.id);
        return true;
      });
    },
  };
}
