import { newId } from '../ids.js';
import type { AuditActorType, AuditEntry, Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

type AuditMethods = Pick<Store, 'appendAudit' | 'listAudit'>;

interface AuditRow {
  id: string;
  company_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  address: string | null;
  data: string | null;
  created_at: string;
}

const INSERT = `INSERT INTO audit_logs
    (id, company_id, actor_type, actor_id, action, target_type, target_id, outcome, address, data, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    companyId: row.company_id,
    actorType: row.actor_type as AuditActorType,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome as AuditEntry['outcome'],
    address: row.address,
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
    createdAt: row.created_at,
  };
}

/** The append-only audit log: nothing here (nor the triggers of migration 005) changes an entry once written. */
export function auditMethods({ db }: SqliteContext): AuditMethods {
  return {
    async appendAudit(entry) {
      const row: AuditRow = {
        id: newId(),
        company_id: entry.companyId,
        actor_type: entry.actorType,
        actor_id: entry.actorId,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        outcome: entry.outcome,
        address: entry.address,
        data: entry.data === null ? null : JSON.stringify(entry.data),
        created_at: nowIso(),
      };
      await db.write(() => db.statement(INSERT).run(...Object.values(row)));
      return toAuditEntry(row);
    },

    async listAudit(companyId, filters, page) {
      const where = ['company_id = ?'];
      const params: unknown[] = [companyId];
      const anyOf = (column: string, values: string[] | undefined) => {
        if (!values?.length) return;
        where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values);
      };
      anyOf('action', filters.action);
      anyOf('actor_id', filters.actorId);
      anyOf('target_id', filters.targetId);
      if (filters.from !== undefined) {
        where.push('created_at >= ?');
        params.push(filters.from);
      }
      if (filters.to !== undefined) {
        where.push('created_at < ?');
        params.push(filters.to);
      }
      const { limit, offset } = pageWindow(page);
      const clause = where.join(' AND ');
      const rows = db
        .statement(`SELECT * FROM audit_logs WHERE ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as AuditRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM audit_logs WHERE ${clause}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toAuditEntry), total };
    },
  };
}
