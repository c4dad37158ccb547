import { retentionCutoff } from '../data-shared.js';
import type { Store } from '../types.js';
import type { SqliteContext } from './context.js';

const SQL = {
  expired: 'SELECT cache_id, key, bytes FROM cache_entries WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?',
  deleteEntry: 'DELETE FROM cache_entries WHERE cache_id = ? AND key = ?',
  lower: 'UPDATE caches SET entries = max(0, entries - 1), bytes = max(0, bytes - ?) WHERE id = ?',
  dropEmptyRunCaches: "DELETE FROM caches WHERE scope = 'run' AND entries = 0 AND id IN (SELECT value FROM json_each(?))",
  oldValues: `DELETE FROM data_pool_values WHERE (pool_id, value) IN
    (SELECT pool_id, value FROM data_pool_values WHERE last_seen <= ? LIMIT ?)`,
} as const;

/** Retention of caches and data pools, in one write each call (the job calls again while a batch comes back full). */
export function dataRetentionMethods({ db }: SqliteContext): Pick<Store, 'purgeExpiredData'> {
  return {
    purgeExpiredData(now, limit) {
      return db.write(() => {
        const rows = db.statement(SQL.expired).all(now, limit) as Array<{ cache_id: string; key: string; bytes: number }>;
        const touched = new Set<string>();
        for (const row of rows) {
          db.statement(SQL.deleteEntry).run(row.cache_id, row.key);
          db.statement(SQL.lower).run(row.bytes, row.cache_id);
          touched.add(row.cache_id);
        }
        if (touched.size > 0) db.statement(SQL.dropEmptyRunCaches).run(JSON.stringify([...touched]));
        const poolValues = db.statement(SQL.oldValues).run(retentionCutoff(Date.parse(now)), limit).changes;
        return { cacheEntries: rows.length, poolValues };
      });
    },
  };
}
