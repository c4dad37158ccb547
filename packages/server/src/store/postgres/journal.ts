import { AppError, type PayloadFormat } from '@weft/schema';
import type pg from 'pg';
import type { JournalWrite, RunLogInput, Store } from '../types.js';
import { nowIso, type PostgresContext } from './context.js';
import { type Queryable, statement } from './database.js';
import { type Param, type PreparedPayload, payloadInserts, preparePayload } from './payloads.js';
import { toJournalRecord, toPayloadRecord, toRunLog } from './rows.js';
import type { PayloadsTable, RunLogsTable, StepResultsTable } from './tables.js';

type JournalMethods = Pick<
  Store,
  'loadJournal' | 'recordStep' | 'appendLogs' | 'listRunLogs' | 'getPayload' | 'getPayloadBody' | 'loadPayloads'
>;

/** Rows per statement when a step writes many payloads or logs; keeps far below the 65 535 parameters of one statement. */
const ROWS_PER_STATEMENT = 1000;
const FOREIGN_KEY_VIOLATION = '23503';

const SQL = {
  journal: statement('SELECT * FROM step_results WHERE run_id = $1 ORDER BY seq'),
  // Counts the step on the run (which locks the run row, so a run's steps are recorded one at a
  // time in order) and journals it; an item already journalled inserts nothing and returns no row.
  recordStep: statement(`WITH r AS (
      UPDATE runs SET steps_completed = steps_completed + 1 WHERE id = $1 AND company_id = $2 RETURNING steps_completed
    )
    INSERT INTO step_results (run_id, item_key, seq, step_id, status, outputs, variables, attempts, started_at, finished_at)
    SELECT $1::text, $3::text, r.steps_completed, $4::text, $5::text, $6::json, $7::json, $8::integer, $9::timestamptz, $10::timestamptz FROM r
    ON CONFLICT (run_id, item_key) DO NOTHING
    RETURNING seq`),
  recorded: statement(
    'SELECT s.outputs FROM step_results s JOIN runs r ON r.id = s.run_id WHERE s.run_id = $1 AND r.company_id = $2 AND s.item_key = $3',
  ),
  payloadMeta: statement(
    'SELECT id, company_id, run_id, format, meta, bytes, sha256, created_at FROM payloads WHERE company_id = $1 AND id = $2',
  ),
  payloadBody: statement(`SELECT p.id, coalesce(p.body, b.body) AS body FROM payloads p
    LEFT JOIN payload_blobs b ON p.body IS NULL AND b.sha256 = p.sha256 WHERE p.company_id = $1 AND p.id = $2`),
  // One row per run even when no payload matches, so an unknown run is told apart from unknown ids.
  // Scoped by the run's company: a run can only ever read its own tenant's payloads.
  runPayloads: statement(`SELECT p.id, p.format, p.meta, coalesce(p.body, b.body) AS body FROM runs r
    LEFT JOIN payloads p ON p.company_id = r.company_id AND p.id = ANY($2::text[])
    LEFT JOIN payload_blobs b ON p.body IS NULL AND b.sha256 = p.sha256
    WHERE r.id = $1`),
  runLogs: statement(`SELECT l.* FROM run_logs l JOIN runs r ON r.id = l.run_id
    WHERE r.company_id = $1 AND l.run_id = $2 ORDER BY l.id`),
} as const;

/** The journal of completed steps, run logs and payload bodies. */
export function journalMethods(ctx: PostgresContext): JournalMethods {
  const { db } = ctx;

  const logInserts = (runId: string, logs: RunLogInput[], at: string, param: Param): string[] => {
    if (logs.length === 0) return [];
    const run = param(runId);
    const rows = logs.map(
      (log) =>
        `(${run}::text, ${param(log.stepId)}::text, ${param(log.stepName)}::text, ${param(log.level)}::text, ${param(log.message)}::text, ${param(
          log.attempt,
        )}::integer, ${param(log.durationMs)}::integer, ${param(log.payloadIdsIn)}::text[], ${param(log.payloadIdsOut)}::text[], ${param(
          log.data === null ? null : JSON.stringify(log.data),
        )}::json, ${param(log.createdAt ?? at)}::timestamptz)`,
    );
    return [
      `INSERT INTO run_logs (run_id, step_id, step_name, level, message, attempt, duration_ms, payload_ids_in, payload_ids_out, data, created_at)
        VALUES ${rows.join(', ')}`,
    ];
  };

  /**
   * Inserts payloads and logs, a thousand rows of each per statement, and returns which of the
   * referenced payload ids belong to the company (checked by the first statement).
   */
  const writeRows = async (
    on: Queryable,
    companyId: string,
    runId: string,
    at: string,
    payloads: PreparedPayload[],
    logs: RunLogInput[],
    referenced: string[],
  ): Promise<Set<string>> => {
    const found = new Set<string>();
    const chunks = Math.max(1, Math.ceil(payloads.length / ROWS_PER_STATEMENT), Math.ceil(logs.length / ROWS_PER_STATEMENT));
    for (let chunk = 0; chunk < chunks; chunk++) {
      const values: unknown[] = [];
      const param: Param = (value) => {
        values.push(value);
        return `$${values.length}`;
      };
      const window = [chunk * ROWS_PER_STATEMENT, (chunk + 1) * ROWS_PER_STATEMENT] as const;
      const inserts = [
        ...payloadInserts(payloads.slice(...window), companyId, runId, at, param),
        ...logInserts(runId, logs.slice(...window), at, param),
      ];
      const check = chunk === 0 && referenced.length > 0;
      if (inserts.length === 0 && !check) continue;
      const select = check
        ? `SELECT id FROM payloads WHERE company_id = ${param(companyId)}::text AND id = ANY(${param(referenced)}::text[])`
        : 'SELECT NULL::text AS id WHERE false';
      const text = inserts.length === 0 ? select : `WITH ${inserts.map((part, i) => `w${i} AS (${part})`).join(', ')} ${select}`;
      for (const row of await db.rows<{ id: string }>(text, values, on)) found.add(row.id);
    }
    return found;
  };

  const readBody = (row: { id: string; body: Buffer | null }): Buffer => {
    if (row.body === null) throw new AppError('PAYLOAD_EXPIRED', `The payload ${row.id} was removed by retention.`);
    return row.body;
  };

  const recordStep = async (client: pg.PoolClient, rollback: () => void, runId: string, companyId: string, write: JournalWrite) => {
    const at = nowIso();
    const ids: Record<string, string[]> = {};
    const stored: PreparedPayload[] = [];
    const referenced: string[] = [];
    for (const [label, items] of Object.entries(write.outputs)) {
      const labelIds: string[] = [];
      for (const item of items) {
        if (item.id !== undefined) {
          referenced.push(item.id);
          labelIds.push(item.id);
        } else {
          const prepared = preparePayload(ctx, item);
          stored.push(prepared);
          labelIds.push(prepared.id);
        }
      }
      ids[label] = labelIds;
    }

    const recorded = await db.row<{ seq: number }>(
      SQL.recordStep,
      [
        runId,
        companyId,
        write.itemKey,
        write.stepId,
        write.status,
        JSON.stringify(ids),
        JSON.stringify(write.variables),
        write.attempts,
        write.startedAt,
        write.finishedAt,
      ],
      client,
    );
    if (recorded === undefined) {
      // Either not the company's run, or the item was recorded already (a worker that lost its
      // lease finishing late): the first record stays, so every worker continues from the same outputs.
      rollback();
      const earlier = await db.row<{ outputs: Record<string, string[]> }>(SQL.recorded, [runId, companyId, write.itemKey], client);
      if (earlier === undefined) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
      return earlier.outputs;
    }

    const logs =
      write.outputsLogIndex === undefined || write.logs[write.outputsLogIndex] === undefined
        ? write.logs
        : write.logs.map((l, i) => (i === write.outputsLogIndex ? { ...l, payloadIdsOut: Object.values(ids).flat() } : l));
    const found = await writeRows(client, companyId, runId, at, stored, logs, referenced);
    const missing = referenced.find((id) => !found.has(id));
    if (missing !== undefined) throw new AppError('NOT_FOUND', `The payload ${missing} does not exist.`);
    return ids;
  };

  return {
    async loadJournal(runId) {
      return (await db.rows<StepResultsTable>(SQL.journal, [runId])).map(toJournalRecord);
    },

    async recordStep(runId, companyId, write) {
      return db.transaction((client, rollback) => recordStep(client, rollback, runId, companyId, write));
    },

    async appendLogs(runId, logs) {
      if (logs.length === 0) return;
      try {
        if (logs.length <= ROWS_PER_STATEMENT) await writeRows(db.pool, '', runId, nowIso(), [], logs, []);
        else await db.transaction((client) => writeRows(client, '', runId, nowIso(), [], logs, []));
      } catch (err) {
        // run_logs.run_id references runs: the database itself says the run is unknown.
        if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
        throw err;
      }
    },

    async listRunLogs(companyId, runId) {
      return (await db.rows<RunLogsTable>(SQL.runLogs, [companyId, runId])).map(toRunLog);
    },

    async getPayload(companyId, payloadId) {
      const row = await db.row<Omit<PayloadsTable, 'body'>>(SQL.payloadMeta, [companyId, payloadId]);
      return row && toPayloadRecord(row);
    },

    async getPayloadBody(companyId, payloadId) {
      const row = await db.row<{ id: string; body: Buffer | null }>(SQL.payloadBody, [companyId, payloadId]);
      return row && readBody(row);
    },

    async loadPayloads(runId, ids) {
      if (ids.length === 0) return [];
      const rows = await db.rows<{ id: string | null; format: string; meta: Record<string, string>; body: Buffer | null }>(
        SQL.runPayloads,
        [runId, ids],
      );
      if (rows.length === 0) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
      const byId = new Map(rows.filter((row) => row.id !== null).map((row) => [row.id, row]));
      return ids.map((id) => {
        const row = byId.get(id);
        if (row === undefined) throw new AppError('PAYLOAD_EXPIRED', `The payload ${id} no longer exists.`);
        return { id, format: row.format as PayloadFormat, meta: row.meta, body: readBody({ id, body: row.body }) };
      });
    },
  };
}
