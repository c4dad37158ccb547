import { poolNameTaken, retentionCutoff } from '../data-shared.js';
import type { DataPool, DataPoolValue, DataPoolValueInput } from '../data-types.js';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';

type DataPoolMethods = Pick<
  Store,
  | 'createDataPool'
  | 'listDataPools'
  | 'getDataPool'
  | 'updateDataPool'
  | 'deleteDataPool'
  | 'seeDataPoolValues'
  | 'listDataPoolValues'
  | 'exportDataPoolValues'
  | 'importDataPoolValues'
  | 'clearDataPoolValues'
>;

interface PoolRow {
  id: string;
  company_id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  values_count: number;
}

interface ValueRow {
  value: string;
  first_seen: string;
  last_seen: string;
}

const POOL_COLUMNS = `p.*, (SELECT count(*) FROM data_pool_values v WHERE v.pool_id = p.id AND v.last_seen > $1::timestamptz) AS values_count`;
const UNIQUE_VIOLATION = '23505';

const SQL = {
  byId: statement(`SELECT ${POOL_COLUMNS} FROM data_pools p WHERE p.company_id = $2 AND p.id = $3`),
  idByName: statement('SELECT id FROM data_pools WHERE company_id = $1 AND name = $2'),
  insert: statement(`INSERT INTO data_pools (id, company_id, name, description, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz)`),
  insertIfMissing: statement(`INSERT INTO data_pools (id, company_id, name, description, created_at, updated_at)
    VALUES ($1, $2, $3, '', $4::timestamptz, $4::timestamptz) ON CONFLICT (company_id, name) DO NOTHING`),
  update: statement('UPDATE data_pools SET name = $1, description = $2, updated_at = $3::timestamptz WHERE company_id = $4 AND id = $5'),
  delete: statement('DELETE FROM data_pools WHERE company_id = $1 AND id = $2'),
  dropExpired: statement('DELETE FROM data_pool_values WHERE pool_id = $1 AND last_seen <= $2::timestamptz'),
  known: statement(`SELECT v.value FROM data_pool_values v JOIN data_pools p ON p.id = v.pool_id
    WHERE p.company_id = $1 AND p.name = $2 AND v.value = ANY($3::text[]) AND v.last_seen > $4::timestamptz`),
  // xmax = 0 only on a row this statement inserted; a conflicting concurrent insert waits for the
  // other transaction and then updates, so exactly one caller sees each value inserted.
  see: statement(`INSERT INTO data_pool_values (pool_id, value, first_seen, last_seen, first_key)
    SELECT $1, v, $3::timestamptz, $3::timestamptz, $4 FROM unnest($2::text[]) AS v ORDER BY v
    ON CONFLICT (pool_id, value) DO UPDATE SET last_seen = excluded.last_seen
    RETURNING value, (xmax = 0) AS inserted, first_key`),
  importValues: statement(`INSERT INTO data_pool_values (pool_id, value, first_seen, last_seen, first_key)
    SELECT $1, v, f, l, 'import' FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS t (v, f, l) ORDER BY v
    ON CONFLICT (pool_id, value) DO UPDATE SET first_seen = LEAST(data_pool_values.first_seen, excluded.first_seen),
      last_seen = GREATEST(data_pool_values.last_seen, excluded.last_seen)`),
  clear: statement('DELETE FROM data_pool_values WHERE pool_id = $1'),
  exportValues: statement(`SELECT value, first_seen, last_seen FROM data_pool_values WHERE pool_id = $1 AND last_seen > $2::timestamptz
    ORDER BY first_seen, value`),
} as const;

function toPool(row: PoolRow): DataPool {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    description: row.description,
    valuesCount: row.values_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const toValue = (row: ValueRow): DataPoolValue => ({ value: row.value, firstSeen: row.first_seen, lastSeen: row.last_seen });

const isUniqueViolation = (err: unknown) => (err as { code?: unknown }).code === UNIQUE_VIOLATION;

/** One row per value, the earliest first_seen and latest last_seen of its rows (one statement may not touch a row twice). */
function mergeImport(values: readonly DataPoolValueInput[], now: string): Map<string, { first: string; last: string }> {
  const merged = new Map<string, { first: string; last: string }>();
  for (const v of values) {
    const first = v.firstSeen ?? now;
    const last = v.lastSeen ?? v.firstSeen ?? now;
    const prior = merged.get(v.value);
    if (prior === undefined) merged.set(v.value, { first, last });
    else merged.set(v.value, { first: [first, prior.first].sort()[0] as string, last: [last, prior.last].sort()[1] as string });
  }
  return merged;
}

/** Data pools for the dedupe shape; see `see` for how concurrent runs agree on which values are new. */
export function dataPoolMethods({ db }: PostgresContext): DataPoolMethods {
  const pool = (companyId: string, poolId: string) => db.row<PoolRow>(SQL.byId, [retentionCutoff(), companyId, poolId]);

  return {
    async createDataPool(companyId, input) {
      const now = nowIso();
      const id = newId();
      try {
        await db.run(SQL.insert, [id, companyId, input.name, input.description ?? '', now]);
      } catch (err) {
        if (isUniqueViolation(err)) throw poolNameTaken(input.name);
        throw err;
      }
      return toPool({
        id,
        company_id: companyId,
        name: input.name,
        description: input.description ?? '',
        created_at: now,
        updated_at: now,
        values_count: 0,
      });
    },

    async listDataPools(companyId, filters, page) {
      const byName = filters.name !== undefined;
      const names = byName ? [filters.name] : [];
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<PoolRow>(
        `SELECT ${POOL_COLUMNS} FROM data_pools p WHERE p.company_id = $2 ${byName ? 'AND p.name = $5' : ''}
         ORDER BY p.name LIMIT $3 OFFSET $4`,
        [retentionCutoff(), companyId, limit, offset, ...names],
      );
      const countSql = `SELECT count(*) AS n FROM data_pools p WHERE p.company_id = $1 ${byName ? 'AND p.name = $2' : ''}`;
      const total = (await db.row<{ n: number }>(countSql, [companyId, ...names]))?.n ?? 0;
      return { rows: rows.map(toPool), total };
    },

    async getDataPool(companyId, poolId) {
      const row = await pool(companyId, poolId);
      return row === undefined ? undefined : toPool(row);
    },

    async updateDataPool(companyId, poolId, patch) {
      const row = await pool(companyId, poolId);
      if (row === undefined) return undefined;
      const name = patch.name ?? row.name;
      const description = patch.description ?? row.description;
      const now = nowIso();
      try {
        if ((await db.run(SQL.update, [name, description, now, companyId, poolId])) === 0) return undefined;
      } catch (err) {
        if (isUniqueViolation(err)) throw poolNameTaken(name);
        throw err;
      }
      return toPool({ ...row, name, description, updated_at: now });
    },

    async deleteDataPool(companyId, poolId) {
      return (await db.run(SQL.delete, [companyId, poolId])) === 1;
    },

    async seeDataPoolValues(companyId, poolName, values, options) {
      const cutoff = retentionCutoff();
      if (values.length === 0) return [];
      if (!options.track) {
        const known = new Set(
          (await db.rows<{ value: string }>(SQL.known, [companyId, poolName, [...values], cutoff])).map((r) => r.value),
        );
        return values.map((v) => !known.has(v));
      }
      const now = nowIso();
      let row = await db.row<{ id: string }>(SQL.idByName, [companyId, poolName]);
      if (row === undefined) {
        await db.run(SQL.insertIfMissing, [newId(), companyId, poolName, now]);
        row = (await db.row<{ id: string }>(SQL.idByName, [companyId, poolName])) as { id: string };
      }
      const poolId = row.id;
      const results = await db.transaction(async (client) => {
        await db.run(SQL.dropExpired, [poolId, cutoff], client);
        return db.rows<{ value: string; inserted: boolean; first_key: string }>(SQL.see, [poolId, [...values], now, options.opKey], client);
      });
      const fresh = new Map(results.map((r) => [r.value, r.inserted || r.first_key === options.opKey]));
      return values.map((v) => fresh.get(v) ?? false);
    },

    async listDataPoolValues(companyId, poolId, filters, page) {
      if ((await pool(companyId, poolId)) === undefined) return undefined;
      const params: unknown[] = [poolId, retentionCutoff()];
      let clause = 'pool_id = $1 AND last_seen > $2::timestamptz';
      if (filters.value !== undefined && filters.value !== '') {
        params.push(filters.value);
        clause += ' AND left(value, length($3)) = $3';
      }
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<ValueRow>(
        `SELECT value, first_seen, last_seen FROM data_pool_values WHERE ${clause} ORDER BY first_seen DESC, value
         LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      );
      const total = (await db.row<{ n: number }>(`SELECT count(*) AS n FROM data_pool_values WHERE ${clause}`, params))?.n ?? 0;
      return { rows: rows.map(toValue), total };
    },

    async exportDataPoolValues(companyId, poolId) {
      if ((await pool(companyId, poolId)) === undefined) return undefined;
      return (await db.rows<ValueRow>(SQL.exportValues, [poolId, retentionCutoff()])).map(toValue);
    },

    async importDataPoolValues(companyId, poolId, values) {
      if ((await pool(companyId, poolId)) === undefined) return undefined;
      const merged = mergeImport(values, nowIso());
      const list = [...merged.keys()];
      await db.run(SQL.importValues, [poolId, list, list.map((v) => merged.get(v)?.first), list.map((v) => merged.get(v)?.last)]);
      return values.length;
    },

    async clearDataPoolValues(companyId, poolId) {
      if ((await pool(companyId, poolId)) === undefined) return undefined;
      return db.run(SQL.clear, [poolId]);
    },
  };
}
