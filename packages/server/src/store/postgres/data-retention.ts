import { retentionCutoff } from '../data-shared.js';
import type { Store } from '../types.js';
import type { PostgresContext } from './context.js';
import { statement } from './database.js';

const SQL = {
  cachesWithExpired: statement(`SELECT DISTINCT cache_id FROM
    (SELECT cache_id FROM cache_entries WHERE expires_at IS NOT NULL AND expires_at <= $1::timestamptz LIMIT $2) e`),
  // Locked first, as every cache write does, so retention and writers of one cache take turns.
  lock: statement('SELECT id, scope FROM caches WHERE id = $1 FOR UPDATE'),
  deleteExpired: statement(`DELETE FROM cache_entries WHERE cache_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2::timestamptz
    RETURNING bytes`),
  lower: statement(`UPDATE caches SET entries = GREATEST(0, entries - $1), bytes = GREATEST(0, bytes - $2) WHERE id = $3
    RETURNING entries`),
  dropCache: statement('DELETE FROM caches WHERE id = $1'),
  oldValues: statement(`DELETE FROM data_pool_values WHERE (pool_id, value) IN
    (SELECT pool_id, value FROM data_pool_values WHERE last_seen <= $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)`),
} as const;

/** Retention of caches and data pools: one short transaction per cache with expired entries. */
export function dataRetentionMethods({ db }: PostgresContext): Pick<Store, 'purgeExpiredData'> {
  return {
    async purgeExpiredData(now, limit) {
      const caches = await db.rows<{ cache_id: string }>(SQL.cachesWithExpired, [now, limit]);
      let cacheEntries = 0;
      for (const { cache_id: cacheId } of caches) {
        cacheEntries += await db.transaction(async (client) => {
          const cache = await db.row<{ id: string; scope: string }>(SQL.lock, [cacheId], client);
          if (cache === undefined) return 0;
          const gone = await db.rows<{ bytes: number }>(SQL.deleteExpired, [cacheId, now], client);
          const bytes = gone.reduce((sum, g) => sum + g.bytes, 0);
          const left = await db.row<{ entries: number }>(SQL.lower, [gone.length, bytes, cacheId], client);
          if (cache.scope === 'run' && left?.entries === 0) await db.run(SQL.dropCache, [cacheId], client);
          return gone.length;
        });
      }
      const poolValues = await db.run(SQL.oldValues, [retentionCutoff(Date.parse(now)), limit]);
      return { cacheEntries, poolValues };
    },
  };
}
