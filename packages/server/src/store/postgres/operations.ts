import type { OperationsStore } from '../operations-types.js';
import { idBoundaryAt } from '../operations-types.js';
import type { PostgresContext } from './context.js';
import { statement } from './database.js';

const SQL = {
  queued: statement("SELECT coalesce(sum(runs), 0)::bigint AS n FROM run_counts WHERE company_id = $1 AND status = 'queued'"),
  putSetting: statement('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  deleteSetting: statement('DELETE FROM settings WHERE key = $1'),
  // run_logs ids grow with time: a batch is a short walk from the start of the primary key.
  oldestLogs: statement('SELECT id, created_at FROM run_logs ORDER BY id LIMIT $1'),
  deleteLogsUpTo: statement('DELETE FROM run_logs WHERE id <= $1'),
  payloadBatch: statement(`SELECT p.id, p.sha256, p.body IS NULL AS in_blob, r.status
    FROM payloads p LEFT JOIN runs r ON r.id = p.run_id
    WHERE p.id > $1 AND p.id < $2 ORDER BY p.id LIMIT $3`),
  // Per-company windows: the oldest rows of one company (or of all but some), by the runs' index.
  deleteLogsOf: statement(`DELETE FROM run_logs WHERE id IN (SELECT l.id FROM run_logs l JOIN runs r ON r.id = l.run_id
    WHERE r.company_id = $1 AND l.created_at < $2 ORDER BY l.id LIMIT $3)`),
  deleteLogsExcept: statement(`DELETE FROM run_logs WHERE id IN (SELECT l.id FROM run_logs l JOIN runs r ON r.id = l.run_id
    WHERE NOT (r.company_id = ANY($1::text[])) AND l.created_at < $2 ORDER BY l.id LIMIT $3)`),
  payloadBatchOf: statement(`SELECT p.id, p.sha256, p.body IS NULL AS in_blob, r.status
    FROM payloads p LEFT JOIN runs r ON r.id = p.run_id
    WHERE p.id > $1 AND p.id < $2 AND p.company_id = $4 ORDER BY p.id LIMIT $3`),
  payloadBatchExcept: statement(`SELECT p.id, p.sha256, p.body IS NULL AS in_blob, r.status
    FROM payloads p LEFT JOIN runs r ON r.id = p.run_id
    WHERE p.id > $1 AND p.id < $2 AND NOT (p.company_id = ANY($4::text[])) ORDER BY p.id LIMIT $3`),
  settingsByPrefix: statement('SELECT key, value FROM settings WHERE left(key, length($1)) = $1 ORDER BY key'),
  deletePayloads: statement('DELETE FROM payloads WHERE id = ANY($1::text[])'),
  // A start inserting a blob takes ROW EXCLUSIVE on payload_blobs; this lock waits for it and holds
  // new ones back for the few milliseconds of the delete, so a blob is never removed under a
  // payload row that is committing with it (ON CONFLICT DO NOTHING would not re-insert it).
  lockBlobs: 'LOCK TABLE payload_blobs IN SHARE ROW EXCLUSIVE MODE',
  deleteOrphanBlobs: statement(`DELETE FROM payload_blobs b WHERE b.sha256 = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM payloads p WHERE p.sha256 = b.sha256 AND p.body IS NULL)`),
} as const;

const ACTIVE = new Set(['queued', 'running']);

/** Limits and retention on PostgreSQL (see operations-types.ts): plain DELETE batches, autovacuum does the rest. */
export function operationMethods(ctx: PostgresContext): OperationsStore {
  const { db } = ctx;

  return {
    async countQueuedRuns(companyId) {
      return (await db.row<{ n: number }>(SQL.queued, [companyId]))?.n ?? 0;
    },

    async putSetting(key, value) {
      if (value === null) await db.run(SQL.deleteSetting, [key]);
      else await db.run(SQL.putSetting, [key, value]);
    },

    async listSettingsByPrefix(prefix) {
      return db.rows<{ key: string; value: string }>(SQL.settingsByPrefix, [prefix]);
    },

    async deleteRunLogsBefore(before, limit, scope) {
      if (scope !== undefined) {
        if ('companyId' in scope) return db.run(SQL.deleteLogsOf, [scope.companyId, before, limit]);
        return db.run(SQL.deleteLogsExcept, [scope.exceptCompanyIds, before, limit]);
      }
      const rows = await db.rows<{ id: number; created_at: string }>(SQL.oldestLogs, [limit]);
      let upTo: number | undefined;
      for (const row of rows) {
        if (row.created_at >= before) break;
        upTo = row.id;
      }
      return upTo === undefined ? 0 : db.run(SQL.deleteLogsUpTo, [upTo]);
    },

    async deletePayloadsBefore(before, limit, after = '', scope) {
      const boundary = idBoundaryAt(Date.parse(before));
      const [text, params] =
        scope === undefined
          ? [SQL.payloadBatch, [after, boundary, limit]]
          : 'companyId' in scope
            ? [SQL.payloadBatchOf, [after, boundary, limit, scope.companyId]]
            : [SQL.payloadBatchExcept, [after, boundary, limit, scope.exceptCompanyIds]];
      const rows = await db.rows<{ id: string; sha256: string; in_blob: boolean; status: string | null }>(text, params);
      const lastId = rows.length === limit ? rows[rows.length - 1]?.id : undefined;
      const gone = rows.filter((row) => row.status === null || !ACTIVE.has(row.status));
      if (gone.length === 0) return { deleted: 0, lastId };
      const shas = [...new Set(gone.filter((row) => row.in_blob).map((row) => row.sha256))];
      const deleted = await db.transaction(async (client) => {
        const n = await db.run(SQL.deletePayloads, [gone.map((row) => row.id)], client);
        if (shas.length > 0) {
          await client.query(SQL.lockBlobs);
          await db.run(SQL.deleteOrphanBlobs, [shas], client);
        }
        return n;
      });
      return { deleted, lastId };
    },

    async reclaimSpace() {
      return 0;
    },
  };
}
