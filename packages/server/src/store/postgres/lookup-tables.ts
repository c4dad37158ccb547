import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import { duplicateLeft, lookupNameTaken } from '../lookup-rules.js';
import type { LookupRow, LookupStoreMethods, LookupTable } from '../lookup-types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import type { Queryable } from './database.js';

interface TableRow {
  id: string;
  company_id: string;
  name: string;
  description: string;
  row_count: number;
  created_at: string;
  updated_at: string;
}

const UNIQUE_VIOLATION = '23505';
const TABLE_COLUMNS = `t.id, t.company_id, t.name, t.description, t.created_at, t.updated_at,
  (SELECT count(*) FROM lookup_rows r WHERE r.table_id = t.id) AS row_count`;

function toTable(row: TableRow): LookupTable {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    description: row.description,
    rowCount: Number(row.row_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === UNIQUE_VIOLATION;

/** The last row given for each left value, in the order of their first appearance. */
function lastWins(rows: readonly LookupRow[]): LookupRow[] {
  const byLeft = new Map<string, string>();
  for (const row of rows) byLeft.set(row.left, row.right);
  return [...byLeft].map(([left, right]) => ({ left, right }));
}

/** Cross-reference lookup tables and their rows; rows go in with one statement per call (unnest). */
export function lookupTableMethods({ db }: PostgresContext): LookupStoreMethods {
  const readTable = async (companyId: string, id: string, on?: Queryable) => {
    const row = await db.row<TableRow>(
      `SELECT ${TABLE_COLUMNS} FROM lookup_tables t WHERE t.company_id = $1 AND t.id = $2`,
      [companyId, id],
      on,
    );
    return row && toTable(row);
  };
  /** Locks the company's table row for the transaction; false when there is none. */
  const lock = async (companyId: string, id: string, on: Queryable) =>
    (await db.row('SELECT id FROM lookup_tables WHERE company_id = $1 AND id = $2 FOR UPDATE', [companyId, id], on)) !== undefined;
  const insertRows = async (tableId: string, companyId: string, rows: readonly LookupRow[], on: Queryable) => {
    if (rows.length === 0) return;
    await db.run(
      `INSERT INTO lookup_rows (table_id, company_id, position, left_value, right_value)
       SELECT $1, $2, u.n::integer, u.l, u.r FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(l, r, n)`,
      [tableId, companyId, rows.map((r) => r.left), rows.map((r) => r.right)],
      on,
    );
  };
  const touch = (tableId: string, on: Queryable) =>
    db.run('UPDATE lookup_tables SET updated_at = $2 WHERE id = $1', [tableId, nowIso()], on);

  return {
    async createLookupTable(companyId, input) {
      const duplicate = duplicateLeft(input.rows);
      if (duplicate) throw duplicate;
      try {
        const id = await db.transaction(async (client) => {
          const tableId = newId();
          const at = nowIso();
          const inserted = await db.run(
            `INSERT INTO lookup_tables (id, company_id, name, description, created_at, updated_at)
             SELECT $1::text, c.id, $3::text, $4::text, $5::timestamptz, $5::timestamptz FROM companies c WHERE c.id = $2`,
            [tableId, companyId, input.name, input.description, at],
            client,
          );
          if (inserted === 0) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
          await insertRows(tableId, companyId, input.rows, client);
          return tableId;
        });
        const table = await readTable(companyId, id);
        if (table === undefined) throw new AppError('INTERNAL', `The lookup table ${id} was not stored.`);
        return table;
      } catch (err) {
        if (isUniqueViolation(err)) throw lookupNameTaken(input.name);
        throw err;
      }
    },

    async getLookupTable(companyId, tableId) {
      return readTable(companyId, tableId);
    },

    async listLookupTables(companyId, page) {
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<TableRow>(
        `SELECT ${TABLE_COLUMNS} FROM lookup_tables t WHERE t.company_id = $1 ORDER BY t.name COLLATE "C", t.id LIMIT $2 OFFSET $3`,
        [companyId, limit, offset],
      );
      const total = Number(
        (await db.row<{ n: number }>('SELECT count(*) AS n FROM lookup_tables WHERE company_id = $1', [companyId]))?.n ?? 0,
      );
      return { rows: rows.map(toTable), total };
    },

    async updateLookupTable(companyId, tableId, patch) {
      const values: Array<[string, unknown]> = [];
      if (patch.name !== undefined) values.push(['name', patch.name]);
      if (patch.description !== undefined) values.push(['description', patch.description]);
      values.push(['updated_at', nowIso()]);
      const sets = values.map(([column], i) => `${column} = $${i + 3}`).join(', ');
      try {
        const changed = await db.run(`UPDATE lookup_tables SET ${sets} WHERE company_id = $1 AND id = $2`, [
          companyId,
          tableId,
          ...values.map(([, value]) => value),
        ]);
        return changed > 0 ? readTable(companyId, tableId) : undefined;
      } catch (err) {
        if (isUniqueViolation(err) && patch.name !== undefined) throw lookupNameTaken(patch.name);
        throw err;
      }
    },

    async deleteLookupTable(companyId, tableId) {
      return db.transaction(async (client) => {
        if (!(await lock(companyId, tableId, client))) return false;
        await db.run('DELETE FROM lookup_rows WHERE table_id = $1', [tableId], client);
        return (await db.run('DELETE FROM lookup_tables WHERE company_id = $1 AND id = $2', [companyId, tableId], client)) > 0;
      });
    },

    async listLookupRows(companyId, tableId, page) {
      const table = await readTable(companyId, tableId);
      if (table === undefined) return undefined;
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<{ left_value: string; right_value: string }>(
        'SELECT left_value, right_value FROM lookup_rows WHERE table_id = $1 ORDER BY position LIMIT $2 OFFSET $3',
        [tableId, limit, offset],
      );
      return { rows: rows.map((r) => ({ left: r.left_value, right: r.right_value })), total: table.rowCount };
    },

    async replaceLookupRows(companyId, tableId, rows) {
      const duplicate = duplicateLeft(rows);
      if (duplicate) throw duplicate;
      const found = await db.transaction(async (client) => {
        if (!(await lock(companyId, tableId, client))) return false;
        await db.run('DELETE FROM lookup_rows WHERE table_id = $1', [tableId], client);
        await insertRows(tableId, companyId, rows, client);
        await touch(tableId, client);
        return true;
      });
      return found ? readTable(companyId, tableId) : undefined;
    },

    async upsertLookupRows(companyId, tableId, rows) {
      const unique = lastWins(rows);
      const found = await db.transaction(async (client) => {
        if (!(await lock(companyId, tableId, client))) return false;
        if (unique.length > 0) {
          // New rows go after the last; a left value that exists keeps its row and place.
          await db.run(
            `INSERT INTO lookup_rows (table_id, company_id, position, left_value, right_value)
             SELECT $1, $2, (SELECT coalesce(max(position), 0) FROM lookup_rows WHERE table_id = $1) + u.n::integer, u.l, u.r
             FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS u(l, r, n)
             ON CONFLICT (table_id, left_value) DO UPDATE SET right_value = EXCLUDED.right_value`,
            [tableId, companyId, unique.map((r) => r.left), unique.map((r) => r.right)],
            client,
          );
        }
        await touch(tableId, client);
        return true;
      });
      return found ? readTable(companyId, tableId) : undefined;
    },

    async deleteLookupRows(companyId, tableId, lefts) {
      const found = await db.transaction(async (client) => {
        if (!(await lock(companyId, tableId, client))) return false;
        await db.run('DELETE FROM lookup_rows WHERE table_id = $1 AND left_value = ANY($2::text[])', [tableId, lefts], client);
        await touch(tableId, client);
        return true;
      });
      return found ? readTable(companyId, tableId) : undefined;
    },

    async loadLookupRows(companyId, name) {
      const rows = await db.rows<{ left_value: string | null; right_value: string | null }>(
        `SELECT r.left_value, r.right_value FROM lookup_tables t LEFT JOIN lookup_rows r ON r.table_id = t.id
         WHERE t.company_id = $1 AND t.name = $2 ORDER BY r.position`,
        [companyId, name],
      );
      if (rows.length === 0) return undefined;
      // An empty table yields one row of NULLs from the outer join.
      return rows.filter((r) => r.left_value !== null).map((r) => ({ left: r.left_value as string, right: r.right_value as string }));
    },
  };
}
