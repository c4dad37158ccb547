import { AppError, type PayloadFormat, TERMINAL_RUN_STATUSES } from '@weft/schema';
import type { JournalWrite, RunLogInput, Store } from '../types.js';
import { nowIso, type PostgresContext } from './context.js';
import { statement } from './database.js';
import { type PreparedPayload, preparePayload } from './payloads.js';
import { toJournalRecord, toPayloadRecord, toRunLog } from './rows.js';
import type { PayloadsTable, RunLogsTable, StepResultsTable } from './tables.js';

type JournalMethods = Pick<
  Store,
  'loadJournal' | 'recordStep' | 'recordFinalStep' | 'appendLogs' | 'listRunLogs' | 'getPayload' | 'getPayloadBody' | 'loadPayloads'
>;

const FOREIGN_KEY_VIOLATION = '23503';

// Logs travel as parallel arrays (one parameter per column, whatever their number), so the
// statements below have fixed text and are prepared once per connection. The payload id lists
// of a log are JSON texts: an array of arrays would flatten in unnest.
const LOG_COLUMNS = `unnest($LOG::text[], $LOG::text[], $LOG::text[], $LOG::text[], $LOG::integer[], $LOG::integer[], $LOG::json[], $LOG::json[],
    $LOG::json[], $LOG::timestamptz[]) WITH ORDINALITY
    AS u(step_id, step_name, level, message, attempt, duration_ms, ids_in, ids_out, data, created_at, n)`;
const LOG_VALUES = `u.step_id, u.step_name, u.level, u.message, u.attempt, u.duration_ms,
    ARRAY(SELECT json_array_elements_text(u.ids_in)), ARRAY(SELECT json_array_elements_text(u.ids_out)), u.data, u.created_at`;
const LOG_INSERT =
  'INSERT INTO run_logs (run_id, step_id, step_name, level, message, attempt, duration_ms, payload_ids_in, payload_ids_out, data, created_at)';

/** Numbers the $LOG placeholders of LOG_COLUMNS from `first`. */
function logColumns(first: number): string {
  let n = first;
  return LOG_COLUMNS.replace(/\$LOG/g, () => `$${n++}`);
}

/**
 * A whole step in one statement, so one round trip and atomic without BEGIN/COMMIT. The journal
 * row is inserted only when the run is the company's and every referenced payload is too; an item
 * already journalled inserts nothing (ON CONFLICT waits for a concurrent insert of the same item,
 * then sees it). Everything else hangs off that insert: counting the step on the run (the row lock
 * there makes a run's steps take turns), the output payloads and the logs. The blobs of large
 * bodies are appended by recordStep when there are any.
 */
const RECORD_STEP_SQL = `WITH run AS (
    SELECT id FROM runs WHERE id = $1 AND company_id = $2
  ), refs AS (
    SELECT count(*) = cardinality($11::text[]) AS ok FROM payloads WHERE company_id = $2 AND id = ANY($11::text[])
  ), s AS (
    INSERT INTO step_results (run_id, item_key, step_id, status, outputs, variables, attempts, started_at, finished_at)
    SELECT run.id, $3::text, $4::text, $5::text, $6::json, $7::json, $8::integer, $9::timestamptz, $10::timestamptz
    FROM run, refs WHERE refs.ok
    ON CONFLICT (run_id, item_key) DO NOTHING
    RETURNING run_id
  ), counted AS (
    UPDATE runs SET steps_completed = steps_completed + 1 FROM s WHERE runs.id = s.run_id
  ), p AS (
    INSERT INTO payloads (id, company_id, run_id, format, meta, bytes, sha256, body, created_at)
    SELECT u.id, $2::text, s.run_id, u.format, u.meta, u.bytes, u.sha256, u.body, $12::timestamptz
    FROM s, unnest($13::text[], $14::text[], $15::json[], $16::bigint[], $17::text[], $18::bytea[]) AS u(id, format, meta, bytes, sha256, body)
  ), l AS (
    ${LOG_INSERT}
    SELECT s.run_id, ${LOG_VALUES} FROM s, ${logColumns(19)} ORDER BY u.n
  )`;
const RECORD_STEP_RESULT = `SELECT (SELECT count(*) FROM run) AS run_found, (SELECT ok FROM refs) AS refs_ok, (SELECT count(*) FROM s) AS recorded`;
const RECORD_STEP = statement(`${RECORD_STEP_SQL} ${RECORD_STEP_RESULT}`);
const FIRST_BLOB_PARAM = 29;

const SQL = {
  // finishRun's statement (runs.ts): the same text, so the same prepared statement.
  finish: statement(`UPDATE runs SET status = $1, error = $2, finished_at = $3, lease_owner = NULL, lease_expires_at = NULL
    WHERE id = $4 AND lease_owner = $5 AND status IN ('queued', 'running')`),
  journal: statement('SELECT * FROM step_results WHERE run_id = $1 ORDER BY seq'),
  recorded: statement(
    'SELECT s.outputs FROM step_results s JOIN runs r ON r.id = s.run_id WHERE s.run_id = $1 AND r.company_id = $2 AND s.item_key = $3',
  ),
  payloadsOfCompany: statement('SELECT id FROM payloads WHERE company_id = $1 AND id = ANY($2::text[])'),
  // run_logs.run_id references runs: the database itself refuses logs of an unknown run.
  appendLogs: statement(`${LOG_INSERT} SELECT $1::text, ${LOG_VALUES} FROM ${logColumns(2)} ORDER BY u.n`),
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

/** The log columns as parallel arrays, in LOG_COLUMNS order. */
function logArrays(logs: RunLogInput[], at: string): unknown[][] {
  return [
    logs.map((l) => l.stepId),
    logs.map((l) => l.stepName),
    logs.map((l) => l.level),
    logs.map((l) => l.message),
    logs.map((l) => l.attempt),
    logs.map((l) => l.durationMs),
    logs.map((l) => JSON.stringify(l.payloadIdsIn)),
    logs.map((l) => JSON.stringify(l.payloadIdsOut)),
    logs.map((l) => (l.data === null ? null : JSON.stringify(l.data))),
    logs.map((l) => l.createdAt ?? at),
  ];
}

/**
 * The blobs of large bodies, stored once per content. Each body is its own binary parameter:
 * inside an array it would travel as hex text, twice its size.
 */
function blobInsert(payloads: PreparedPayload[], values: unknown[]): string | undefined {
  const blobs = new Map<string, PreparedPayload>();
  for (const p of payloads) if (!p.inline) blobs.set(p.sha256, p);
  if (blobs.size === 0) return undefined;
  const rows = [...blobs.values()].map((p) => {
    values.push(p.sha256, p.bytes, p.body);
    const n = values.length;
    return `($${n - 2}::text, $${n - 1}::bigint, $${n}::bytea)`;
  });
  return `, b AS (
    INSERT INTO payload_blobs (sha256, bytes, body, created_at) SELECT v.sha256, v.bytes, v.body, $12::timestamptz
    FROM (SELECT 1 FROM s LIMIT 1) one, (VALUES ${rows.join(', ')}) AS v(sha256, bytes, body)
    ON CONFLICT (sha256) DO NOTHING
  )`;
}

/** The journal of completed steps, run logs and payload bodies. */
export function journalMethods(ctx: PostgresContext): JournalMethods {
  const { db } = ctx;

  const readBody = (row: { id: string; body: Buffer | null }): Buffer => {
    if (row.body === null) throw new AppError('PAYLOAD_EXPIRED', `The payload ${row.id} was removed by retention.`);
    return row.body;
  };

  const recordStep = async (runId: string, companyId: string, write: JournalWrite): Promise<Record<string, string[]>> => {
    const at = nowIso();
    const ids: Record<string, string[]> = {};
    const stored: PreparedPayload[] = [];
    const referenced = new Set<string>();
    for (const [label, items] of Object.entries(write.outputs)) {
      const labelIds: string[] = [];
      for (const item of items) {
        if (item.id !== undefined) {
          referenced.add(item.id);
          labelIds.push(item.id);
        } else {
          const prepared = preparePayload(ctx, item);
          stored.push(prepared);
          labelIds.push(prepared.id);
        }
      }
      ids[label] = labelIds;
    }
    const logs =
      write.outputsLogIndex === undefined || write.logs[write.outputsLogIndex] === undefined
        ? write.logs
        : write.logs.map((l, i) => (i === write.outputsLogIndex ? { ...l, payloadIdsOut: Object.values(ids).flat() } : l));

    const values: unknown[] = [
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
      [...referenced],
      at,
      stored.map((p) => p.id),
      stored.map((p) => p.format),
      stored.map((p) => p.meta),
      stored.map((p) => p.bytes),
      stored.map((p) => p.sha256),
      stored.map((p) => (p.inline ? p.body : null)),
      ...logArrays(logs, at),
    ];
    if (values.length !== FIRST_BLOB_PARAM - 1) throw new AppError('INTERNAL', 'recordStep parameters are out of step with its SQL.');
    const blobs = blobInsert(stored, values);
    const query = blobs === undefined ? RECORD_STEP : `${RECORD_STEP_SQL}${blobs} ${RECORD_STEP_RESULT}`;
    const result = await db.row<{ run_found: number; refs_ok: boolean; recorded: number }>(query, values);
    if (result?.recorded === 1) return ids;
    if (result?.run_found !== 1) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);

    // Recorded already (a worker that lost its lease finishing late): the first record stays, so
    // every worker continues from the same outputs. A fresh statement sees a concurrent first record.
    const earlier = await db.row<{ outputs: Record<string, string[]> }>(SQL.recorded, [runId, companyId, write.itemKey]);
    if (earlier !== undefined) return earlier.outputs;
    if (result.refs_ok !== true) {
      const found = new Set((await db.rows<{ id: string }>(SQL.payloadsOfCompany, [companyId, [...referenced]])).map((r) => r.id));
      const missing = [...referenced].find((id) => !found.has(id)) ?? [...referenced][0];
      throw new AppError('NOT_FOUND', `The payload ${missing} does not exist.`);
    }
    throw new AppError('STORAGE_UNAVAILABLE', `The step ${write.itemKey} of run ${runId} could not be recorded; try again.`);
  };

  return {
    async loadJournal(runId) {
      return (await db.rows<StepResultsTable>(SQL.journal, [runId])).map(toJournalRecord);
    },

    recordStep,

    // Two statements, the step first: recordStep's single statement already updates the run's
    // row (its step count), and PostgreSQL cannot update one row twice in one statement. The
    // order keeps the guarantee that a finished run never lacks its last step.
    async recordFinalStep(runId, companyId, write, owner, outcome) {
      if (!TERMINAL_RUN_STATUSES.includes(outcome.status)) {
        throw new AppError('INTERNAL', `recordFinalStep needs a terminal status, got "${outcome.status}".`);
      }
      const ids = await recordStep(runId, companyId, write);
      const finished = (await db.run(SQL.finish, [outcome.status, outcome.error ?? null, nowIso(), runId, owner])) > 0;
      return { ids, finished };
    },

    async appendLogs(runId, logs) {
      if (logs.length === 0) return;
      try {
        await db.run(SQL.appendLogs, [runId, ...logArrays(logs, nowIso())]);
      } catch (err) {
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
