import type { TrackedData } from '../data-types.js';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

type TrackedDataMethods = Pick<Store, 'trackData' | 'listTrackedData'>;

interface TrackedRow {
  id: string;
  company_id: string;
  entity: string;
  value: string;
  flow_id: string;
  run_id: string;
  step_id: string;
  created_at: string;
}

const INSERT = `INSERT INTO tracked_data (id, company_id, entity, value, flow_id, run_id, step_id, item_key, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, item_key, entity, value) DO NOTHING`;

const toTracked = (row: TrackedRow): TrackedData => ({
  id: row.id,
  companyId: row.company_id,
  entity: row.entity,
  value: row.value,
  flowId: row.flow_id,
  runId: row.run_id,
  stepId: row.step_id,
  createdAt: row.created_at,
});

/** Tracked data: values a track_data step recorded, for "where is order 1234?". */
export function trackedDataMethods({ db }: SqliteContext): TrackedDataMethods {
  return {
    async trackData(companyId, entries) {
      if (entries.length === 0) return;
      await db.write(() => {
        const now = nowIso();
        const insert = db.statement(INSERT);
        for (const e of entries) insert.run(newId(), companyId, e.entity, e.value, e.flowId, e.runId, e.stepId, e.itemKey, now);
      });
    },

    async listTrackedData(companyId, filters, page) {
      const where = ['company_id = ?'];
      const params: unknown[] = [companyId];
      const anyOf = (column: string, values: readonly string[] | undefined) => {
        if (!values?.length) return;
        where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values);
      };
      anyOf('entity', filters.entity);
      anyOf('value', filters.value);
      anyOf('flow_id', filters.flowId);
      anyOf('run_id', filters.runId);
      if (filters.from !== undefined) {
        where.push('created_at >= ?');
        params.push(filters.from);
      }
      if (filters.to !== undefined) {
        where.push('created_at < ?');
        params.push(filters.to);
      }
      const clause = where.join(' AND ');
      const { limit, offset } = pageWindow(page);
      const rows = db
        .statement(`SELECT * FROM tracked_data WHERE ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as TrackedRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM tracked_data WHERE ${clause}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toTracked), total };
    },
  };
}
