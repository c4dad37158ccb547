import { poolNameTaken, retentionCutoff } from '../data-shared.js';
import type { DataPool, DataPoolValue } from '../data-types.js';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

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

const POOL_COLUMNS = `p.*, (SELECT count(*) FROM data_pool_values v WHERE v.pool_id = p.id AND v.last_seen > ?) AS values_count`;

const SQL = {
  byId: `SELECT ${POOL_COLUMNS} FROM data_pools p WHERE p.company_id = ? AND p.id = ?`,
  idByName: 'SELECT id FROM data_pools WHERE company_id = ? AND name = ?',
  nameTaken: 'SELECT 1 FROM data_pools WHERE company_id = ? AND name = ? AND id <> ?',
  insert: `INSERT INTO data_pools (id, company_id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
  insertIfMissing: `INSERT INTO data_pools (id, company_id, name, description, created_at, updated_at) VALUES (?, ?, ?, '', ?, ?)
    ON CONFLICT (company_id, name) DO NOTHING`,
  update: 'UPDATE data_pools SET name = ?, description = ?, updated_at = ? WHERE company_id = ? AND id = ?',
  delete: 'DELETE FROM data_pools WHERE company_id = ? AND id = ?',
  dropExpired: 'DELETE FROM data_pool_values WHERE pool_id = ? AND last_seen <= ?',
  value: 'SELECT first_key, last_seen FROM data_pool_values WHERE pool_id = ? AND value = ?',
  insertValue: 'INSERT INTO data_pool_values (pool_id, value, first_seen, last_seen, first_key) VALUES (?, ?, ?, ?, ?)',
  touchValue: 'UPDATE data_pool_values SET last_seen = ? WHERE pool_id = ? AND value = ?',
  importValue: `INSERT INTO data_pool_values (pool_id, value, first_seen, last_seen, first_key) VALUES (?, ?, ?, ?, 'import')
    ON CONFLICT (pool_id, value) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  clear: 'DELETE FROM data_pool_values WHERE pool_id = ?',
  exportValues: 'SELECT value, first_seen, last_seen FROM data_pool_values WHERE pool_id = ? AND last_seen > ? ORDER BY first_seen, value',
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

/**
 * Data pools for the dedupe shape. seeDataPoolValues runs as one synchronous write, so reading
 * whether a value is known and recording it cannot interleave with another run's call.
 */
export function dataPoolMethods({ db }: SqliteContext): DataPoolMethods {
  const pool = (companyId: string, poolId: string) =>
    db.statement(SQL.byId).get(retentionCutoff(), companyId, poolId) as PoolRow | undefined;

  return {
    createDataPool(companyId, input) {
      return db.write(() => {
        if (db.statement(SQL.idByName).get(companyId, input.name) !== undefined) throw poolNameTaken(input.name);
        const now = nowIso();
        const id = newId();
        db.statement(SQL.insert).run(id, companyId, input.name, input.description ?? '', now, now);
        return toPool({
          id,
          company_id: companyId,
          name: input.name,
          description: input.description ?? '',
          created_at: now,
          updated_at: now,
          values_count: 0,
        });
      });
    },

    async listDataPools(companyId, filters, page) {
      const where = ['p.company_id = ?'];
      const params: unknown[] = [companyId];
      if (filters.name !== undefined) {
        where.push('p.name = ?');
        params.push(filters.name);
      }
      const clause = where.join(' AND ');
      const { limit, offset } = pageWindow(page);
      const rows = db
        .statement(`SELECT ${POOL_COLUMNS} FROM data_pools p WHERE ${clause} ORDER BY p.name LIMIT ? OFFSET ?`)
        .all(retentionCutoff(), ...params, limit, offset) as PoolRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM data_pools p WHERE ${clause}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toPool), total };
    },

    async getDataPool(companyId, poolId) {
      const row = pool(companyId, poolId);
      return row === undefined ? undefined : toPool(row);
    },

    updateDataPool(companyId, poolId, patch) {
      return db.write(() => {
        const row = pool(companyId, poolId);
        if (row === undefined) return undefined;
        const name = patch.name ?? row.name;
        if (name !== row.name && db.statement(SQL.nameTaken).get(companyId, name, poolId) !== undefined) throw poolNameTaken(name);
        const now = nowIso();
        db.statement(SQL.update).run(name, patch.description ?? row.description, now, companyId, poolId);
        return toPool({ ...row, name, description: patch.description ?? row.description, updated_at: now });
      });
    },

    deleteDataPool(companyId, poolId) {
      return db.write(() => db.statement(SQL.delete).run(companyId, poolId).changes === 1);
    },

    async seeDataPoolValues(companyId, poolName, values, options) {
      const cutoff = retentionCutoff();
      if (!options.track) {
        const row = db.statement(SQL.idByName).get(companyId, poolName) as { id: string } | undefined;
        if (row === undefined) return values.map(() => true);
        return values.map((value) => {
          const known = db.statement(SQL.value).get(row.id, value) as { last_seen: string } | undefined;
          return known === undefined || known.last_seen <= cutoff;
        });
      }
      return db.write(() => {
        const now = nowIso();
        db.statement(SQL.insertIfMissing).run(newId(), companyId, poolName, now, now);
        const { id } = db.statement(SQL.idByName).get(companyId, poolName) as { id: string };
        db.statement(SQL.dropExpired).run(id, cutoff);
        return values.map((value) => {
          const known = db.statement(SQL.value).get(id, value) as { first_key: string } | undefined;
          if (known === undefined) {
            db.statement(SQL.insertValue).run(id, value, now, now, options.opKey);
            return true;
          }
          db.statement(SQL.touchValue).run(now, id, value);
          return known.first_key === options.opKey;
        });
      });
    },

    async listDataPoolValues(companyId, poolId, filters, page) {
      if (pool(companyId, poolId) === undefined) return undefined;
      const where = ['pool_id = ?', 'last_seen > ?'];
      const params: unknown[] = [poolId, retentionCutoff()];
      if (filters.value !== undefined && filters.value !== '') {
        where.push('substr(value, 1, ?) = ?');
        params.push(filters.value.length, filters.value);
      }
      const clause = where.join(' AND ');
      const { limit, offset } = pageWindow(page);
      const rows = db
        .statement(
          `SELECT value, first_seen, last_seen FROM data_pool_values WHERE ${clause} ORDER BY first_seen DESC, value LIMIT ? OFFSET ?`,
        )
        .all(...params, limit, offset) as ValueRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM data_pool_values WHERE ${clause}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toValue), total };
    },

    async exportDataPoolValues(companyId, poolId) {
      if (pool(companyId, poolId) === undefined) return undefined;
      return (db.statement(SQL.exportValues).all(poolId, retentionCutoff()) as ValueRow[]).map(toValue);
    },

    importDataPoolValues(companyId, poolId, values) {
      return db.write(() => {
        if (pool(companyId, poolId) === undefined) return undefined;
        const now = nowIso();
        for (const v of values) db.statement(SQL.importValue).run(poolId, v.value, v.firstSeen ?? now, v.lastSeen ?? v.firstSeen ?? now);
        return values.length;
      });
    },

    clearDataPoolValues(companyId, poolId) {
      return db.write(() => {
        if (pool(companyId, poolId) === undefined) return undefined;
        return db.statement(SQL.clear).run(poolId).changes;
      });
    },
  };
}
