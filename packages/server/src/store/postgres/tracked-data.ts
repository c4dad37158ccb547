import type { TrackedData } from '../data-types.js';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';

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

const INSERT = statement(`INSERT INTO tracked_data (id, company_id, entity, value, flow_id, run_id, step_id, item_key, created_at)
  SELECT id, $1, entity, value, flow_id, run_id, step_id, item_key, $2::timestamptz
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
    AS t (id, entity, value, flow_id, run_id, step_id, item_key)
  ON CONFLICT (run_id, item_key, entity, value) DO NOTHING`);

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
export function trackedDataMethods({ db }: PostgresContext): TrackedDataMethods {
  return {
    async trackData(companyId, entries) {
      if (entries.length === 0) return;
      const col = <K extends keyof (typeof entries)[number]>(k: K) => entries.map((e) => e[k]);
      await db.run(INSERT, [
        companyId,
        nowIso(),
        entries.map(() => newId()),
        col('entity'),
        col('value'),
        col('flowId'),
        col('runId'),
        col('stepId'),
        col('itemKey'),
      ]);
    },

    async listTrackedData(companyId, filters, page) {
      const where = ['company_id = $1'];
      const params: unknown[] = [companyId];
      const anyOf = (column: string, values: readonly string[] | undefined) => {
        if (!values?.length) return;
        params.push([...values]);
        where.push(`${column} = ANY($${params.length}::text[])`);
      };
      anyOf('entity', filters.entity);
      anyOf('value', filters.value);
      anyOf('flow_id', filters.flowId);
      anyOf('run_id', filters.runId);
      if (filters.from !== undefined) {
        params.push(filters.from);
        where.push(`created_at >= $${params.length}::timestamptz`);
      }
      if (filters.to !== undefined) {
        params.push(filters.to);
        where.push(`created_at < $${params.length}::timestamptz`);
      }
      const clause = where.join(' AND ');
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<TrackedRow>(
        `SELECT * FROM tracked_data WHERE ${clause} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      );
      const total = (await db.row<{ n: number }>(`SELECT count(*) AS n FROM tracked_data WHERE ${clause}`, params))?.n ?? 0;
      return { rows: rows.map(toTracked), total };
    },
  };
}
