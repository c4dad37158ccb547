import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import { type NotificationGroup, type NotificationStoreMethods, notificationGroupNameTaken } from '../notification-types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';
import { toRun } from './rows.js';
import type { RunsTable } from './tables.js';

/** emails arrive parsed (json), timestamps as ISO text (database.ts). */
interface GroupRow {
  id: string;
  company_id: string;
  name: string;
  emails: string[];
  created_at: string;
  updated_at: string;
}

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === UNIQUE_VIOLATION;

const SQL = {
  get: statement('SELECT * FROM notification_groups WHERE company_id = $1 AND id = $2'),
  byName: statement('SELECT * FROM notification_groups WHERE company_id = $1 AND lower(name) = lower($2)'),
  page: statement('SELECT * FROM notification_groups WHERE company_id = $1 ORDER BY lower(name), id LIMIT $2 OFFSET $3'),
  count: statement('SELECT count(*)::int AS n FROM notification_groups WHERE company_id = $1'),
  insert: statement(`INSERT INTO notification_groups (id, company_id, name, emails, created_at, updated_at)
    SELECT $1, c.id, $2, $3::json, $4::timestamptz, $4::timestamptz FROM companies c WHERE c.id = $5 RETURNING *`),
  update:
    statement(`UPDATE notification_groups SET name = coalesce($3, name), emails = coalesce($4::json, emails), updated_at = $5::timestamptz
    WHERE company_id = $1 AND id = $2 RETURNING *`),
  delete: statement('DELETE FROM notification_groups WHERE company_id = $1 AND id = $2'),
  children: statement('SELECT * FROM runs WHERE company_id = $1 AND parent_run_id = $2 ORDER BY id'),
} as const;

function toGroup(row: GroupRow): NotificationGroup {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    emails: row.emails,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Notification groups (migration 009) and run links (010); names are unique per company by a unique index. */
export function notificationMethods({ db }: PostgresContext): NotificationStoreMethods {
  return {
    async createNotificationGroup(companyId, input) {
      try {
        const row = await db.row<GroupRow>(SQL.insert, [newId(), input.name, JSON.stringify(input.emails), nowIso(), companyId]);
        if (row === undefined) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        return toGroup(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw notificationGroupNameTaken(input.name);
        throw err;
      }
    },

    async getNotificationGroup(companyId, groupId) {
      const row = await db.row<GroupRow>(SQL.get, [companyId, groupId]);
      return row && toGroup(row);
    },

    async findNotificationGroup(companyId, name) {
      const row = await db.row<GroupRow>(SQL.byName, [companyId, name]);
      return row && toGroup(row);
    },

    async listNotificationGroups(companyId, page) {
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<GroupRow>(SQL.page, [companyId, limit, offset]);
      const total = (await db.row<{ n: number }>(SQL.count, [companyId]))?.n ?? 0;
      return { rows: rows.map(toGroup), total };
    },

    async updateNotificationGroup(companyId, groupId, patch) {
      try {
        const row = await db.row<GroupRow>(SQL.update, [
          companyId,
          groupId,
          patch.name ?? null,
          patch.emails === undefined ? null : JSON.stringify(patch.emails),
          nowIso(),
        ]);
        return row && toGroup(row);
      } catch (err) {
        if (isUniqueViolation(err) && patch.name !== undefined) throw notificationGroupNameTaken(patch.name);
        throw err;
      }
    },

    async deleteNotificationGroup(companyId, groupId) {
      return (await db.run(SQL.delete, [companyId, groupId])) > 0;
    },

    async listChildRuns(companyId, parentRunId) {
      return (await db.rows<RunsTable>(SQL.children, [companyId, parentRunId])).map(toRun);
    },
  };
}

export const notificationsMigrationSql = /* sql */ `
CREATE TABLE notification_groups (
  id         text COLLATE "C" PRIMARY KEY,
  company_id text COLLATE "C" NOT NULL REFERENCES companies (id),
  name       text NOT NULL,
  emails     json NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX notification_groups_name ON notification_groups (company_id, lower(name));
`;

/** Children of a run are listed by their parent (runs API, run_flow waiting on them). */
export const runLinksMigrationSql = /* sql */ `
CREATE INDEX runs_parent ON runs (company_id, parent_run_id) WHERE parent_run_id IS NOT NULL;
`;
