import type { CacheScope, PayloadFormat } from '@weft/schema';
import { appendJsonArray, appendMarkerCutoff, cacheFull } from '../data-shared.js';
import type { CacheAddress, CacheEntry, CacheInfo } from '../data-types.js';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';

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

interface EntryShape {
  format: string;
  bytes: number;
  joinable: boolean;
}

/** meta arrives parsed (json). */
interface EntryRow {
  key: string;
  format: string;
  body: Buffer;
  meta: Record<string, string>;
  bytes: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

const SQL = {
  cacheByAddress: statement('SELECT * FROM caches WHERE company_id = $1 AND name = $2 AND scope = $3 AND scope_id = $4'),
  cacheById: statement('SELECT * FROM caches WHERE company_id = $1 AND id = $2'),
  // The no-op update makes the statement return the row and lock it: writers of one cache take turns.
  lockCache: statement(`INSERT INTO caches (id, company_id, name, scope, scope_id, entries, bytes, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 0, 0, $6::timestamptz, $6::timestamptz)
    ON CONFLICT (company_id, name, scope, scope_id) DO UPDATE SET entries = caches.entries RETURNING *`),
  deleteExpired: statement(`DELETE FROM cache_entries WHERE cache_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2::timestamptz
    RETURNING bytes`),
  // joinable: a JSON array written compactly with at least one element ("[x...]"), so ",<items>]" can replace its "]".
  entryShape: statement(`SELECT format, bytes, (format = 'json' AND octet_length(body) > 2 AND get_byte(body, 0) = 91
      AND get_byte(body, octet_length(body) - 1) = 93 AND get_byte(body, 1) NOT IN (9, 10, 13, 32, 93)) AS joinable
    FROM cache_entries WHERE cache_id = $1 AND key = $2`),
  entryBody: statement('SELECT body FROM cache_entries WHERE cache_id = $1 AND key = $2'),
  appendInPlace: statement(`UPDATE cache_entries SET body = substring(body FROM 1 FOR octet_length(body) - 1) || $3::bytea,
      bytes = octet_length(body) - 1 + octet_length($3::bytea), meta = $4::json, updated_at = $5::timestamptz, expires_at = $6::timestamptz
    WHERE cache_id = $1 AND key = $2`),
  liveEntry: statement(
    'SELECT * FROM cache_entries WHERE cache_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3::timestamptz)',
  ),
  upsertEntry: statement(`INSERT INTO cache_entries (cache_id, key, format, body, meta, bytes, created_at, updated_at, expires_at)
    VALUES ($1, $2, $3, $4, $5::json, $6, $7::timestamptz, $7::timestamptz, $8::timestamptz)
    ON CONFLICT (cache_id, key) DO UPDATE SET format = excluded.format, body = excluded.body, meta = excluded.meta,
      bytes = excluded.bytes, updated_at = excluded.updated_at, expires_at = excluded.expires_at`),
  updateTotals: statement('UPDATE caches SET entries = $1, bytes = $2, updated_at = $3::timestamptz WHERE id = $4'),
  markAppend: statement(`INSERT INTO cache_appends (cache_id, op_key, created_at) VALUES ($1, $2, $3::timestamptz)
    ON CONFLICT (cache_id, op_key) DO NOTHING`),
  dropOldMarks: statement('DELETE FROM cache_appends WHERE cache_id = $1 AND created_at < $2::timestamptz'),
  findEntries: statement(`SELECT * FROM cache_entries WHERE cache_id = $1 AND left(key, $2) = $3
    AND (expires_at IS NULL OR expires_at > $4::timestamptz) ORDER BY key LIMIT $5`),
  deleteCache: statement('DELETE FROM caches WHERE company_id = $1 AND id = $2'),
  lockById: statement('SELECT * FROM caches WHERE company_id = $1 AND id = $2 FOR UPDATE'),
  deleteEntry: statement('DELETE FROM cache_entries WHERE cache_id = $1 AND key = $2 RETURNING bytes'),
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
    meta: row.meta,
    bytes: row.bytes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

/**
 * Named caches. A write locks its cache's row first (created if missing), so concurrent writers
 * of one cache, on any number of machines, take turns: appends are never lost and the cap check
 * sees every earlier write.
 */
export function cacheMethods({ db }: PostgresContext): CacheMethods {
  const byAddress = (c: CacheAddress) => db.row<CacheRow>(SQL.cacheByAddress, [c.companyId, c.name, c.scope, c.scopeId]);

  return {
    async putCacheEntry(cache, write) {
      await db.transaction(async (client) => {
        const now = nowIso();
        const row = (await db.row<CacheRow>(
          SQL.lockCache,
          [newId(), cache.companyId, cache.name, cache.scope, cache.scopeId, now],
          client,
        )) as CacheRow;
        const expired = await db.rows<{ bytes: number }>(SQL.deleteExpired, [row.id, now], client);
        let entries = row.entries - expired.length;
        let bytes = row.bytes - expired.reduce((sum, e) => sum + e.bytes, 0);
        const existing = await db.row<EntryShape>(SQL.entryShape, [row.id, write.key], client);
        if (write.append && write.opKey !== undefined) {
          await db.run(SQL.dropOldMarks, [row.id, appendMarkerCutoff()], client);
          if ((await db.run(SQL.markAppend, [row.id, write.opKey, now], client)) === 0) return;
        }
        if (existing === undefined) entries++;
        const meta = JSON.stringify(write.meta);
        if (write.append && existing?.joinable && write.body.length > 2) {
          // "[a]" + "[b]" = "[a,b]", joined inside the database: a large entry never travels to this
          // process and back for each append.
          const tail = Buffer.concat([Buffer.from(','), write.body.subarray(1)]);
          bytes += tail.length - 1;
          if (bytes > write.maxBytes) throw cacheFull(cache.name, bytes, write.maxBytes);
          await db.run(SQL.appendInPlace, [row.id, write.key, tail, meta, now, write.expiresAt], client);
        } else {
          let body = write.body;
          if (write.append && existing !== undefined) {
            const stored = (await db.row<{ body: Buffer }>(SQL.entryBody, [row.id, write.key], client)) as { body: Buffer };
            body = appendJsonArray(stored.body, write.body, cache.name, write.key, existing.format);
          }
          bytes += body.length - (existing?.bytes ?? 0);
          if (bytes > write.maxBytes) throw cacheFull(cache.name, bytes, write.maxBytes);
          const format = write.append && existing !== undefined ? existing.format : write.format;
          await db.run(SQL.upsertEntry, [row.id, write.key, format, body, meta, body.length, now, write.expiresAt], client);
        }
        await db.run(SQL.updateTotals, [entries, bytes, now, row.id], client);
      });
    },

    async getCacheEntry(cache, key) {
      const row = await byAddress(cache);
      if (row === undefined) return undefined;
      const entry = await db.row<EntryRow>(SQL.liveEntry, [row.id, key, nowIso()]);
      return entry === undefined ? undefined : toEntry(entry);
    },

    async findCacheEntries(cache, keyPrefix, limit) {
      const row = await byAddress(cache);
      if (row === undefined) return [];
      return (await db.rows<EntryRow>(SQL.findEntries, [row.id, keyPrefix.length, keyPrefix, nowIso(), limit])).map(toEntry);
    },

    async listCaches(companyId, filters, page) {
      const where = ['company_id = $1'];
      const params: unknown[] = [companyId];
      const anyOf = (column: string, values: readonly string[] | undefined) => {
        if (!values?.length) return;
        params.push([...values]);
        where.push(`${column} = ANY($${params.length}::text[])`);
      };
      anyOf('name', filters.name);
      anyOf('scope', filters.scope);
      anyOf('scope_id', filters.scopeId);
      const clause = where.join(' AND ');
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<CacheRow>(
        `SELECT * FROM caches WHERE ${clause} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      );
      const total = (await db.row<{ n: number }>(`SELECT count(*) AS n FROM caches WHERE ${clause}`, params))?.n ?? 0;
      return { rows: rows.map(toCacheInfo), total };
    },

    async getCache(companyId, cacheId) {
      const row = await db.row<CacheRow>(SQL.cacheById, [companyId, cacheId]);
      return row === undefined ? undefined : toCacheInfo(row);
    },

    async listCacheEntries(companyId, cacheId, page) {
      const row = await db.row<CacheRow>(SQL.cacheById, [companyId, cacheId]);
      if (row === undefined) return undefined;
      const now = nowIso();
      const { limit, offset } = pageWindow(page);
      const live = 'cache_id = $1 AND (expires_at IS NULL OR expires_at > $2::timestamptz)';
      const rows = await db.rows<EntryRow>(`SELECT * FROM cache_entries WHERE ${live} ORDER BY key LIMIT $3 OFFSET $4`, [
        row.id,
        now,
        limit,
        offset,
      ]);
      const total = (await db.row<{ n: number }>(`SELECT count(*) AS n FROM cache_entries WHERE ${live}`, [row.id, now]))?.n ?? 0;
      return { rows: rows.map(toEntry), total };
    },

    async getCacheEntryById(companyId, cacheId, key) {
      const row = await db.row<CacheRow>(SQL.cacheById, [companyId, cacheId]);
      if (row === undefined) return undefined;
      const entry = await db.row<EntryRow>(SQL.liveEntry, [row.id, key, nowIso()]);
      return entry === undefined ? undefined : toEntry(entry);
    },

    async deleteCache(companyId, cacheId) {
      return (await db.run(SQL.deleteCache, [companyId, cacheId])) === 1;
    },

    async deleteCacheEntry(companyId, cacheId, key) {
      return db.transaction(async (client) => {
        const row = await db.row<CacheRow>(SQL.lockById, [companyId, cacheId], client);
        if (row === undefined) return false;
        const gone = await db.row<{ bytes: number }>(SQL.deleteEntry, [row.id, key], client);
        if (gone === undefined) return false;
        await db.run(SQL.updateTotals, [Math.max(0, row.entries - 1), Math.max(0, row.bytes - gone.bytes), nowIso(), row.id], client);
        return true;
      });
    },
  };
}
