import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import { duplicateLeft, lookupNameTaken } from '../lookup-rules.js';
import type { LookupRow, LookupStoreMethods, LookupTable } from '../lookup-types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

interface TableRow {
  id: string;
  company_id: string;
  name: string;
  description: string;
  row_count: number;
  created_at: string;
  updated_at: string;
}

const TABLE_COLUMNS = `t.id, t.company_id, t.name, t.description, t.created_at, t.updated_at,
  (SELECT count(*) FROM lookup_rows r WHERE r.table_id = t.id) AS row_count`;

const SQL = {
  table: `SELECT ${TABLE_COLUMNS} FROM lookup_tables t WHERE t.company_id = ? AND t.id = ?`,
  nameOwner: 'SELECT id FROM lookup_tables WHERE company_id = ? AND name = ?',
  page: `SELECT ${TABLE_COLUMNS} FROM lookup_tables t WHERE t.company_id = ? ORDER BY t.name, t.id LIMIT ? OFFSET ?`,
  count: 'SELECT count(*) AS n FROM lookup_tables WHERE company_id = ?',
  insertTable: `INSERT INTO lookup_tables (id, company_id, name, description, created_at, updated_at)
    SELECT ?, c.id, ?, ?, ?, ? FROM companies c WHERE c.id = ?`,
  insertRow: 'INSERT INTO lookup_rows (table_id, company_id, position, left_value, right_value) VALUES (?, ?, ?, ?, ?)',
  rows: 'SELECT left_value, right_value FROM lookup_rows WHERE table_id = ? ORDER BY position LIMIT ? OFFSET ?',
  allRows: 'SELECT left_value, right_value FROM lookup_rows WHERE table_id = ? ORDER BY position',
  rowCount: 'SELECT count(*) AS n FROM lookup_rows WHERE table_id = ?',
  maxPosition: 'SELECT coalesce(max(position), 0) AS n FROM lookup_rows WHERE table_id = ?',
  setRight: 'UPDATE lookup_rows SET right_value = ? WHERE table_id = ? AND left_value = ?',
  deleteRow: 'DELETE FROM lookup_rows WHERE table_id = ? AND left_value = ?',
  deleteRows: 'DELETE FROM lookup_rows WHERE table_id = ?',
  touch: 'UPDATE lookup_tables SET updated_at = ? WHERE id = ?',
  deleteTable: 'DELETE FROM lookup_tables WHERE company_id = ? AND id = ?',
  idByName: 'SELECT id FROM lookup_tables WHERE company_id = ? AND name = ?',
} as const;

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

/** Cross-reference lookup tables and their rows. */
export function lookupTableMethods({ db }: SqliteContext): LookupStoreMethods {
  const readTable = (companyId: string, id: string) => {
    const row = db.statement(SQL.table).get(companyId, id) as TableRow | undefined;
    return row && toTable(row);
  };
  const insertRows = (tableId: string, companyId: string, rows: readonly LookupRow[], from: number) => {
    const insert = db.statement(SQL.insertRow);
    for (let i = 0; i < rows.length; i++) insert.run(tableId, companyId, from + i, rows[i]!.left, rows[i]!.right);
  };

  return {
    async createLookupTable(companyId, input) {
      const duplicate = duplicateLeft(input.rows);
      if (duplicate) throw duplicate;
      return db.write(() => {
        if (db.statement(SQL.nameOwner).get(companyId, input.name) !== undefined) throw lookupNameTaken(input.name);
        const id = newId();
        const at = nowIso();
        if (db.statement(SQL.insertTable).run(id, input.name, input.description, at, at, companyId).changes === 0) {
          throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        }
        insertRows(id, companyId, input.rows, 1);
        const table = readTable(companyId, id);
        if (table === undefined) throw new AppError('INTERNAL', `The lookup table ${id} was not stored.`);
        return table;
      });
    },

    async getLookupTable(companyId, tableId) {
      return readTable(companyId, tableId);
    },

    async listLookupTables(companyId, page) {
      const { limit, offset } = pageWindow(page);
      const rows = db.statement(SQL.page).all(companyId, limit, offset) as TableRow[];
      const total = (db.statement(SQL.count).get(companyId) as { n: number }).n;
      return { rows: rows.map(toTable), total };
    },

    async updateLookupTable(companyId, tableId, patch) {
      return db.write(() => {
        if (readTable(companyId, tableId) === undefined) return undefined;
        if (patch.name !== undefined) {
          const owner = (db.statement(SQL.nameOwner).get(companyId, patch.name) as { id: string } | undefined)?.id;
          if (owner !== undefined && owner !== tableId) throw lookupNameTaken(patch.name);
        }
        const values = {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.description !== undefined && { description: patch.description }),
          updated_at: nowIso(),
        };
        const columns = Object.keys(values);
        db.statement(`UPDATE lookup_tables SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE company_id = ? AND id = ?`).run(
          ...Object.values(values),
          companyId,
          tableId,
        );
        return readTable(companyId, tableId);
      });
    },

    async deleteLookupTable(companyId, tableId) {
      return db.write(() => {
        if (readTable(companyId, tableId) === undefined) return false;
        db.statement(SQL.deleteRows).run(tableId);
        return db.statement(SQL.deleteTable).run(companyId, tableId).changes > 0;
      });
    },

    async listLookupRows(companyId, tableId, page) {
      if (readTable(companyId, tableId) === undefined) return undefined;
      const { limit, offset } = pageWindow(page);
      const rows = db.statement(SQL.rows).all(tableId, limit, offset) as Array<{ left_value: string; right_value: string }>;
      const total = (db.statement(SQL.rowCount).get(tableId) as { n: number }).n;
      return { rows: rows.map((r) => ({ left: r.left_value, right: r.right_value })), total };
    },

    async replaceLookupRows(companyId, tableId, rows) {
      const duplicate = duplicateLeft(rows);
      if (duplicate) throw duplicate;
      return db.write(() => {
        if (readTable(companyId, tableId) === undefined) return undefined;
        db.statement(SQL.deleteRows).run(tableId);
        insertRows(tableId, companyId, rows, 1);
        db.statement(SQL.touch).run(nowIso(), tableId);
        return readTable(companyId, tableId);
      });
    },

    async upsertLookupRows(companyId, tableId, rows) {
      return db.write(() => {
        if (readTable(companyId, tableId) === undefined) return undefined;
        let next = (db.statement(SQL.maxPosition).get(tableId) as { n: number }).n + 1;
        for (const row of rows) {
          if (db.statement(SQL.setRight).run(row.right, tableId, row.left).changes > 0) continue;
          db.statement(SQL.insertRow).run(tableId, companyId, next++, row.left, row.right);
        }
        db.statement(SQL.touch).run(nowIso(), tableId);
        return readTable(companyId, tableId);
      });
    },

    async deleteLookupRows(companyId, tableId, lefts) {
      return db.write(() => {
        if (readTable(companyId, tableId) === undefined) return undefined;
        for (const left of lefts) db.statement(SQL.deleteRow).run(tableId, left);
        db.statement(SQL.touch).run(nowIso(), tableId);
        return readTable(companyId, tableId);
      });
    },

    async loadLookupRows(companyId, name) {
      const owner = db.statement(SQL.idByName).get(companyId, name) as { id: string } | undefined;
      if (owner === undefined) return undefined;
      const rows = db.statement(SQL.allRows).all(owner.id) as Array<{ left_value: string; right_value: string }>;
      return rows.map((r) => ({ left: r.left_value, right: r.right_value }));
    },
  };
}
