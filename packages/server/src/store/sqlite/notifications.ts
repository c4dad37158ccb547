import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import { type NotificationGroup, type NotificationStoreMethods, notificationGroupNameTaken } from '../notification-types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';
import { toRun } from './rows.js';
import type { RunsTable } from './tables.js';

interface GroupRow {
  id: string;
  company_id: string;
  name: string;
  emails: string;
  created_at: string;
  updated_at: string;
}

const SQL = {
  get: 'SELECT * FROM notification_groups WHERE company_id = ? AND id = ?',
  byName: 'SELECT * FROM notification_groups WHERE company_id = ? AND name = ? COLLATE NOCASE',
  page: 'SELECT * FROM notification_groups WHERE company_id = ? ORDER BY name COLLATE NOCASE, id LIMIT ? OFFSET ?',
  count: 'SELECT count(*) AS n FROM notification_groups WHERE company_id = ?',
  insert: `INSERT INTO notification_groups (id, company_id, name, emails, created_at, updated_at)
    SELECT ?, c.id, ?, ?, ?, ? FROM companies c WHERE c.id = ?`,
  update: 'UPDATE notification_groups SET name = ?, emails = ?, updated_at = ? WHERE company_id = ? AND id = ?',
  delete: 'DELETE FROM notification_groups WHERE company_id = ? AND id = ?',
  children: 'SELECT * FROM runs WHERE company_id = ? AND parent_run_id = ? ORDER BY id',
} as const;

function toGroup(row: GroupRow): NotificationGroup {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    emails: JSON.parse(row.emails) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Notification groups (migration 009) and run links (010). */
export function notificationMethods({ db }: SqliteContext): NotificationStoreMethods {
  const read = (companyId: string, id: string) => {
    const row = db.statement(SQL.get).get(companyId, id) as GroupRow | undefined;
    return row && toGroup(row);
  };
  const nameOwner = (companyId: string, name: string) => (db.statement(SQL.byName).get(companyId, name) as GroupRow | undefined)?.id;

  return {
    async createNotificationGroup(companyId, input) {
      return db.write(() => {
        if (nameOwner(companyId, input.name) !== undefined) throw notificationGroupNameTaken(input.name);
        const id = newId();
        const at = nowIso();
        if (db.statement(SQL.insert).run(id, input.name, JSON.stringify(input.emails), at, at, companyId).changes === 0) {
          throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        }
        return { id, companyId, name: input.name, emails: [...input.emails], createdAt: at, updatedAt: at };
      });
    },

    async getNotificationGroup(companyId, groupId) {
      return read(companyId, groupId);
    },

    async findNotificationGroup(companyId, name) {
      const row = db.statement(SQL.byName).get(companyId, name) as GroupRow | undefined;
      return row && toGroup(row);
    },

    async listNotificationGroups(companyId, page) {
      const { limit, offset } = pageWindow(page);
      const rows = db.statement(SQL.page).all(companyId, limit, offset) as GroupRow[];
      const total = (db.statement(SQL.count).get(companyId) as { n: number }).n;
      return { rows: rows.map(toGroup), total };
    },

    async updateNotificationGroup(companyId, groupId, patch) {
      return db.write(() => {
        const current = read(companyId, groupId);
        if (current === undefined) return undefined;
        if (patch.name !== undefined) {
          const owner = nameOwner(companyId, patch.name);
          if (owner !== undefined && owner !== groupId) throw notificationGroupNameTaken(patch.name);
        }
        const name = patch.name ?? current.name;
        const emails = patch.emails ?? current.emails;
        db.statement(SQL.update).run(name, JSON.stringify(emails), nowIso(), companyId, groupId);
        return read(companyId, groupId);
      });
    },

    async deleteNotificationGroup(companyId, groupId) {
      return db.write(() => db.statement(SQL.delete).run(companyId, groupId).changes > 0);
    },

    async listChildRuns(companyId, parentRunId) {
      return (db.statement(SQL.children).all(companyId, parentRunId) as RunsTable[]).map(toRun);
    },
  };
}

export const notificationsMigrationSql = /* sql */ `
CREATE TABLE notification_groups (
  id         TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  name       TEXT NOT NULL,
  emails     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX notification_groups_name ON notification_groups (company_id, name COLLATE NOCASE);
`;

/** Children of a run are listed by their parent (runs API, run_flow waiting on them). */
export const runLinksMigrationSql = /* sql */ `
CREATE INDEX runs_parent ON runs (company_id, parent_run_id) WHERE parent_run_id IS NOT NULL;
`;
