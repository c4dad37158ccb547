import type { OperationsStore } from '../operations-types.js';
import { idBoundaryAt } from '../operations-types.js';
import type { SqliteContext } from './context.js';

const SQL = {
  queued: "SELECT coalesce(sum(runs), 0) AS n FROM run_counts WHERE company_id = ? AND status = 'queued'",
  putSetting: 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  deleteSetting: 'DELETE FROM settings WHERE key = ?',
  // run_logs ids grow with time: the oldest rows are the first of the primary key, so a batch is a
  // short walk from its start and never a scan of the table.
  oldestLogs: 'SELECT id, created_at FROM run_logs ORDER BY id LIMIT ?',
  deleteLogsUpTo: 'DELETE FROM run_logs WHERE id <= ?',
  payloadBatch: `SELECT p.id, p.sha256, p.body IS NULL AS in_file, r.status
    FROM payloads p LEFT JOIN runs r ON r.id = p.run_id
    WHERE p.id > ? AND p.id < ? ORDER BY p.id LIMIT ?`,
  deletePayload: 'DELETE FROM payloads WHERE id = ?',
  // Per-company windows: the oldest rows of one company (or of all but some), by the runs' index.
  deleteLogsOf: `DELETE FROM run_logs WHERE id IN (SELECT l.id FROM run_logs l JOIN runs r ON r.id = l.run_id
    WHERE r.company_id = ? AND l.created_at < ? ORDER BY l.id LIMIT ?)`,
  deleteLogsExcept: `DELETE FROM run_logs WHERE id IN (SELECT l.id FROM run_logs l JOIN runs r ON r.id = l.run_id
    WHERE r.company_id NOT IN (SELECT value FROM json_each(?)) AND l.created_at < ? ORDER BY l.id LIMIT ?)`,
  payloadBatchOf: `SELECT p.id, p.sha256, p.body IS NULL AS in_file, r.status
    FROM payloads p LEFT JOIN runs r ON r.id = p.run_id
    WHERE p.id > ? AND p.id < ? AND p.company_id = ? ORDER BY p.id LIMIT ?`,
  payloadBatchExcept: `SELECT p.id, p.sha256, p.body IS NULL AS in_file, r.status
    FROM payloads p LEFT JOIN runs r ON r.id = p.run_id
    WHERE p.id > ? AND p.id < ? AND p.company_id NOT IN (SELECT value FROM json_each(?)) ORDER BY p.id LIMIT ?`,
  settingsByPrefix: 'SELECT key, value FROM settings WHERE substr(key, 1, length(?)) = ? ORDER BY key',
  fileStillNamed: 'SELECT 1 FROM payloads WHERE sha256 = ? AND body IS NULL LIMIT 1',
} as const;

const ACTIVE = new Set(['queued', 'running']);

/** Limits and retention on the SQLite file (see operations-types.ts). */
export function operationMethods(ctx: SqliteContext): OperationsStore {
  const { db, files } = ctx;
  const stmt = (text: string) => db.statement(text);

  return {
    async countQueuedRuns(companyId) {
      return (stmt(SQL.queued).get(companyId) as { n: number }).n;
    },

    async putSetting(key, value) {
      await db.writeOne(() => (value === null ? stmt(SQL.deleteSetting).run(key) : stmt(SQL.putSetting).run(key, value)));
    },

    async listSettingsByPrefix(prefix) {
      return stmt(SQL.settingsByPrefix).all(prefix, prefix) as Array<{ key: string; value: string }>;
    },

    async deleteRunLogsBefore(before, limit, scope) {
      if (scope !== undefined) {
        const [text, filter] =
          'companyId' in scope ? [SQL.deleteLogsOf, scope.companyId] : [SQL.deleteLogsExcept, JSON.stringify(scope.exceptCompanyIds)];
        return db.write(() => stmt(text).run(filter, before, limit).changes);
      }
      return db.write(() => {
        const rows = stmt(SQL.oldestLogs).all(limit) as Array<{ id: number; created_at: string }>;
        let upTo: number | undefined;
        for (const row of rows) {
          if (row.created_at >= before) break;
          upTo = row.id;
        }
        return upTo === undefined ? 0 : stmt(SQL.deleteLogsUpTo).run(upTo).changes;
      });
    },

    async deletePayloadsBefore(before, limit, after = '', scope) {
      const boundary = idBoundaryAt(Date.parse(before));
      const batch = () => {
        if (scope === undefined) return stmt(SQL.payloadBatch).all(after, boundary, limit);
        if ('companyId' in scope) return stmt(SQL.payloadBatchOf).all(after, boundary, scope.companyId, limit);
        return stmt(SQL.payloadBatchExcept).all(after, boundary, JSON.stringify(scope.exceptCompanyIds), limit);
      };
      const {
        deleted,
        lastId,
        files: maybeOrphans,
      } = await db.write(() => {
        const rows = batch() as Array<{
          id: string;
          sha256: string;
          in_file: number;
          status: string | null;
        }>;
        const shas = new Set<string>();
        let count = 0;
        for (const row of rows) {
          // A run still waiting or running needs its payloads, however old.
          if (row.status !== null && ACTIVE.has(row.status)) continue;
          stmt(SQL.deletePayload).run(row.id);
          count++;
          if (row.in_file) shas.add(row.sha256);
        }
        const orphans = [...shas].filter((sha) => stmt(SQL.fileStillNamed).get(sha) === undefined);
        return { deleted: count, lastId: rows.length === limit ? rows[rows.length - 1]?.id : undefined, files: orphans };
      });
      // Files are moved aside, not deleted: a start committing the same content right now may
      // name the file after this check; emptyTrash() puts such a file back (payload-files.ts).
      for (const sha of maybeOrphans) await files.trash(sha, Date.now());
      await files.emptyTrash(Date.now(), (sha) => stmt(SQL.fileStillNamed).get(sha) !== undefined);
      return { deleted, lastId };
    },

    async reclaimSpace(maxPages) {
      // Outside the write queue's transaction (incremental_vacuum works on committed free pages);
      // the write queue never holds a transaction open between turns of the event loop.
      db.raw.pragma(`incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`);
      return db.raw.pragma('freelist_count', { simple: true }) as number;
    },
  };
}

/**
 * A database created before auto_vacuum was set (or by another tool) keeps auto_vacuum NONE until
 * a full VACUUM rewrites it; done once, at open, so retention can give space back from then on.
 */
export function ensureIncrementalVacuum(ctx: SqliteContext): void {
  const mode = ctx.db.raw.pragma('auto_vacuum', { simple: true }) as number;
  if (mode === 2) return;
  ctx.db.raw.pragma('auto_vacuum = INCREMENTAL');
  ctx.db.raw.exec('VACUUM');
}
