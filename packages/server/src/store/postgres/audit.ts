import { newId } from '../ids.js';
import type { AuditActorType, AuditEntry, Store } from '../types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';

type AuditMethods = Pick<Store, 'appendAudit' | 'listAudit'>;

/** data arrives parsed (json), created_at as ISO text (database.ts). */
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
  data: Record<string, unknown> | null;
  created_at: string;
}

const INSERT = statement(`INSERT INTO audit_logs
    (id, company_id, actor_type, actor_id, action, target_type, target_id, outcome, address, data, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json, $11::timestamptz) RETURNING *`);

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
    data: row.data,
    createdAt: row.created_at,
  };
}

/** The append-only audit log: nothing here (nor the trigger of migration 005) changes an entry once written. */
export function auditMethods({ db }: PostgresContext): AuditMethods {
  return {
    async appendAudit(entry) {
      const row = await db.row<AuditRow>(INSERT, [
        newId(),
        entry.companyId,
        entry.actorType,
        entry.actorId,
        entry.action,
        entry.targetType,
        entry.targetId,
        entry.outcome,
        entry.address,
        entry.data === null ? null : JSON.stringify(entry.data),
        nowIso(),
      ]);
      // INSERT … RETURNING always returns the row it inserted.
      return toAuditEntry(row!);
    },

    async listAudit(companyId, filters, page) {
      const where = ['company_id = $1'];
      const params: unknown[] = [companyId];
      const anyOf = (column: string, values: string[] | undefined) => {
        if (!values?.length) return;
        params.push(values);
        where.push(`${column} = ANY($${params.length}::text[])`);
      };
      anyOf('action', filters.action);
      anyOf('actor_id', filters.actorId);
      anyOf('target_id', filters.targetId);
      if (filters.from !== undefined) {
        params.push(filters.from);
        where.push(`created_at >= $${params.length}::timestamptz`);
      }
      if (filters.to !== undefined) {
        params.push(filters.to);
        where.push(`created_at < $${params.length}::timestamptz`);
      }
      const { limit, offset } = pageWindow(page);
      const clause = where.join(' AND ');
      const rows = await db.rows<AuditRow>(
        `SELECT * FROM audit_logs WHERE ${clause} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      );
      const count = await db.row<{ n: number }>(`SELECT count(*) AS n FROM audit_logs WHERE ${clause}`, params);
      return { rows: rows.map(toAuditEntry), total: count?.n ?? 0 };
    },
  };
}
