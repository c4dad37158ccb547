import { AppError, type PayloadFormat } from '@weft/schema';
import { assertTerminal } from '../final-step-types.js';
import type { JournalWrite, RunLogInput, Store } from '../types.js';
import { nowIso, type PostgresContext } from './context.js';
import { statement } from './database.js';
import { type PreparedPayload, preparePayload } from './payloads.js';
import { toJournalRecord, toPayloadRecord, toRunLog } from './rows.js';
import { FINISH_RUN } from './runs.js';
import type { PayloadsTable, RunLogsTable, StepResultsTable } from './tables.js';

type JournalMethods = Pick<
  Store,
  'loadJournal' | 'recordStep' | 'recordFinalStep' | 'appendLogs' | 'listRunLogs' | 'getPayload' | 'getPayloadBody' | 'loadPayloads'
>;

const FOREIGN_KEY_VIOLATION = '23503';

// Logs travel as parallel arrays (one parameter per column, whatever their number), so the
// statements below have fixed text and are prepared once per connection. The payload id lists
// of a log are JSON texts: an array of arrays would flatten in unnest.
const LOG_COLUMNS: ReadonlyArray<readonly [name: string, type: string]> = [
  ['step_id', 'text'],
  ['step_name', 'text'],
  ['level', 'text'],
  ['message', 'text'],
  ['attempt', 'integer'],
  ['duration_ms', 'integer'],
  ['ids_in', 'json'],
  ['ids_out', 'json'],
  ['data', 'json'],
  ['created_at', 'timestamptz'],
];
const LOG_VALUES = `u.step_id, u.step_name, u.level, u.message, u.attempt, u.duration_ms,
    ARRAY(SELECT json_array_elements_text(u.ids_in)), ARRAY(SELECT json_array_elements_text(u.ids_out)), u.data, u.created_at`;
const LOG_INSERT =
  'INSERT INTO run_logs (run_id, step_id, step_name, level, message, attempt, duration_ms, payload_ids_in, payload_ids_out, data, created_at)';

/**
 * The logs as rows `u` of the parallel arrays in LOG_COLUMNS order (u.n their position), the
 * parameters numbered from `first`. A batch of steps puts each log's step position first (u.step).
 */
function logColumns(first: number, options: { step?: boolean } = {}): string {
  const columns = options.step ? [['step', 'integer'] as const, ...LOG_COLUMNS] : LOG_COLUMNS;
  const params = columns.map(([, type], i) => `$${first + i}::${type}[]`).join(', ');
  return `unnest(${params}) WITH ORDINALITY AS u(${columns.map(([name]) => name).join(', ')}, n)`;
}

/**
 * Steps in one statement (one or many, of one run or several: group commit), so one round trip and
 * atomic without BEGIN/COMMIT. Each step travels as one element of the step arrays; its payloads
 * and logs as rows of flat arrays naming their step by its position. A step's journal row is
 * inserted only when its run is the company's and every payload it references is too; an item
 * already journalled inserts nothing (ON CONFLICT waits for a concurrent insert of the same item,
 * then sees it). Everything else hangs off those inserts (rec): counting the steps on their runs
 * (the row lock there makes a run's writes take turns), the output payloads and the logs. A final
 * step (fin_owner set) also ends its run in the same update when that owner still holds the lease:
 * PostgreSQL cannot update one row twice in one statement, so counting and ending are one UPDATE,
 * and `ending` locks the run first so whether it ended is read from the row it changed. The blobs
 * of large bodies are appended by the batch when there are any.
 */
const RECORD_STEPS_SQL = `WITH st AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::json[], $7::json[], $8::integer[],
      $9::timestamptz[], $10::timestamptz[], $11::json[], $13::text[], $14::text[], $15::text[], $16::timestamptz[]) WITH ORDINALITY
      AS st(run_id, company_id, item_key, step_id, status, outputs, variables, attempts, started_at, finished_at, refs,
        fin_owner, fin_status, fin_error, fin_at, n)
  ), run AS (
    SELECT st.n FROM st JOIN runs ON runs.id = st.run_id AND runs.company_id = st.company_id
  ), refs AS (
    SELECT st.n FROM st WHERE (SELECT count(*) FROM payloads p WHERE p.company_id = st.company_id
      AND p.id IN (SELECT json_array_elements_text(st.refs))) = json_array_length(st.refs)
  ), ending AS (
    SELECT runs.id, runs.lease_owner = st.fin_owner AND runs.status IN ('queued', 'running') AS finishable
    FROM st JOIN runs ON runs.id = st.run_id AND runs.company_id = st.company_id WHERE st.fin_owner IS NOT NULL
    FOR NO KEY UPDATE OF runs
  ), s AS (
    INSERT INTO step_results (run_id, item_key, step_id, status, outputs, variables, attempts, started_at, finished_at)
    SELECT st.run_id, st.item_key, st.step_id, st.status, st.outputs, st.variables, st.attempts, st.started_at, st.finished_at
    FROM st JOIN run ON run.n = st.n JOIN refs ON refs.n = st.n ORDER BY st.n
    ON CONFLICT (run_id, item_key) DO NOTHING
    RETURNING run_id, item_key
  ), rec AS (
    SELECT st.* FROM st JOIN s ON s.run_id = st.run_id AND s.item_key = st.item_key
  ), counted AS (
    UPDATE runs SET steps_completed = runs.steps_completed + c.steps,
      status = CASE WHEN c.ends THEN c.fin_status ELSE runs.status END,
      error = CASE WHEN c.ends THEN c.fin_error ELSE runs.error END,
      finished_at = CASE WHEN c.ends THEN c.fin_at ELSE runs.finished_at END,
      lease_owner = CASE WHEN c.ends THEN NULL ELSE runs.lease_owner END,
      lease_expires_at = CASE WHEN c.ends THEN NULL ELSE runs.lease_expires_at END
    FROM (
      SELECT rec.run_id, count(*) AS steps, coalesce(bool_or(ending.finishable), false) AS ends,
        max(rec.fin_status) AS fin_status, max(rec.fin_error) AS fin_error, max(rec.fin_at) AS fin_at
      FROM rec LEFT JOIN ending ON ending.id = rec.run_id AND rec.fin_owner IS NOT NULL GROUP BY rec.run_id
    ) c
    WHERE runs.id = c.run_id
  ), p AS (
    INSERT INTO payloads (id, company_id, run_id, format, meta, bytes, sha256, body, created_at)
    SELECT u.id, rec.company_id, rec.run_id, u.format, u.meta, u.bytes, u.sha256, u.body, $12::timestamptz
    FROM unnest($17::integer[], $18::text[], $19::text[], $20::json[], $21::bigint[], $22::text[], $23::bytea[])
      AS u(step, id, format, meta, bytes, sha256, body)
    JOIN rec ON rec.n = u.step
  ), l AS (
    ${LOG_INSERT}
    SELECT rec.run_id, ${LOG_VALUES} FROM ${logColumns(24, { step: true })}
    JOIN rec ON rec.n = u.step ORDER BY u.n
  )`;
const RECORD_STEPS_RESULT = `SELECT st.n, EXISTS (SELECT 1 FROM run WHERE run.n = st.n) AS run_found,
    EXISTS (SELECT 1 FROM refs WHERE refs.n = st.n) AS refs_ok, EXISTS (SELECT 1 FROM rec WHERE rec.n = st.n) AS recorded,
    coalesce((SELECT ending.finishable FROM ending WHERE ending.id = st.run_id), false) AS finishable
  FROM st ORDER BY st.n`;
const RECORD_STEPS = statement(`${RECORD_STEPS_SQL} ${RECORD_STEPS_RESULT}`);
const FIRST_BLOB_PARAM = 35;

/** Steps per statement at most, and body bytes after which a batch takes no further step. */
const BATCH_MAX_STEPS = 64;
const BATCH_MAX_BYTES = 1024 * 1024;
/**
 * Batches in flight at once per process. While they are, new steps wait and go together in the
 * next one (group commit): one round trip and one commit for many runs' steps when busy, none
 * added when not. Two keeps the database busy on both ends of a round trip without spreading
 * steps thin over many small statements.
 */
const BATCHES_IN_FLIGHT = 2;

const SQL = {
  // finishRun's prepared statement.
  finish: FINISH_RUN,
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
 * The blobs of large bodies, stored once per content and only for a step that was recorded (any
 * of the steps carrying that content). Each body is its own binary parameter: inside an array it
 * would travel as hex text, twice its size.
 */
function blobInsert(steps: PendingStep[], values: unknown[]): string | undefined {
  const blobs = new Map<string, { payload: PreparedPayload; steps: number[] }>();
  steps.forEach((step, i) => {
    for (const p of step.stored) {
      if (p.inline) continue;
      const blob = blobs.get(p.sha256);
      if (blob === undefined) blobs.set(p.sha256, { payload: p, steps: [i + 1] });
      else blob.steps.push(i + 1);
    }
  });
  if (blobs.size === 0) return undefined;
  // In content order, so two batches storing the same bodies take their row locks in one order.
  const rows = [...blobs.values()]
    .sort((a, b) => (a.payload.sha256 < b.payload.sha256 ? -1 : 1))
    .map(({ payload, steps: of }) => {
      values.push(of, payload.sha256, payload.bytes, payload.body);
      const n = values.length;
      return `($${n - 3}::integer[], $${n - 2}::text, $${n - 1}::bigint, $${n}::bytea)`;
    });
  return `, b AS (
    INSERT INTO payload_blobs (sha256, bytes, body, created_at) SELECT v.sha256, v.bytes, v.body, $12::timestamptz
    FROM (VALUES ${rows.join(', ')}) AS v(steps, sha256, bytes, body) WHERE EXISTS (SELECT 1 FROM rec WHERE rec.n = ANY(v.steps))
    ON CONFLICT (sha256) DO NOTHING
  )`;
}

/** A step waiting for its batch: its payloads prepared and ids assigned, its end when it is a run's last. */
interface PendingStep {
  runId: string;
  companyId: string;
  write: JournalWrite;
  ids: Record<string, string[]>;
  stored: PreparedPayload[];
  referenced: string[];
  logs: RunLogInput[];
  bytes: number;
  end?: { owner: string; status: string; error: string | null };
  done: (outcome: { recorded: boolean; runFound: boolean; refsOk: boolean; finishable: boolean }) => void;
  failed: (err: unknown) => void;
}

type BatchRow = { n: number; run_found: boolean; refs_ok: boolean; recorded: boolean; finishable: boolean };

/** The batch's parameters, in RECORD_STEPS_SQL order (blobs appended by blobInsert). */
function batchValues(steps: PendingStep[], at: string): unknown[] {
  const payloads: Array<{ step: number; p: PreparedPayload }> = [];
  const logs: Array<{ step: number; log: RunLogInput }> = [];
  steps.forEach((step, i) => {
    for (const p of step.stored) payloads.push({ step: i + 1, p });
    for (const log of step.logs) logs.push({ step: i + 1, log });
  });
  return [
    steps.map((s) => s.runId),
    steps.map((s) => s.companyId),
    steps.map((s) => s.write.itemKey),
    steps.map((s) => s.write.stepId),
    steps.map((s) => s.write.status),
    steps.map((s) => JSON.stringify(s.ids)),
    steps.map((s) => JSON.stringify(s.write.variables)),
    steps.map((s) => s.write.attempts),
    steps.map((s) => s.write.startedAt),
    steps.map((s) => s.write.finishedAt),
    steps.map((s) => JSON.stringify(s.referenced)),
    at,
    steps.map((s) => s.end?.owner ?? null),
    steps.map((s) => s.end?.status ?? null),
    steps.map((s) => s.end?.error ?? null),
    steps.map((s) => (s.end === undefined ? null : at)),
    payloads.map((x) => x.step),
    payloads.map((x) => x.p.id),
    payloads.map((x) => x.p.format),
    payloads.map((x) => x.p.meta),
    payloads.map((x) => x.p.bytes),
    payloads.map((x) => x.p.sha256),
    payloads.map((x) => (x.p.inline ? x.p.body : null)),
    logs.map((x) => x.step),
    ...logArrays(
      logs.map((x) => x.log),
      at,
    ),
  ];
}

/** The journal of completed steps, run logs and payload bodies. */
export function journalMethods(ctx: PostgresContext): JournalMethods {
  const { db } = ctx;

  const readBody = (row: { id: string; body: Buffer | null }): Buffer => {
    if (row.body === null) throw new AppError('PAYLOAD_EXPIRED', `The payload ${row.id} was removed by retention.`);
    return row.body;
  };

  /**
   * Group commit of steps, as the SQLite adapter's write queue does for its writes: a step goes out
   * at once while fewer than BATCHES_IN_FLIGHT batches are under way, else with every step that
   * arrived meanwhile in one statement. Each step is still committed before recordStep returns,
   * so before its successors run. Steps submitted in one turn (a held-back trigger record and the
   * next step) share a batch. A run with a batch in flight waits for it, so no two batches of this
   * process lock the same run. They can still meet on shared rows (run totals, a body two runs
   * store); a deadlock there fails the batch, whose steps are then retried one by one.
   */
  const waiting: PendingStep[] = [];
  /** Runs with a step in a batch under way; takeBatch never puts such a run in a second batch. */
  const runsInFlight = new Set<string>();
  let inFlight = 0;
  let scheduled = false;

  const submit = (step: PendingStep) => {
    waiting.push(step);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        pump();
      });
    }
  };

  const pump = () => {
    while (inFlight < BATCHES_IN_FLIGHT && waiting.length > 0) {
      const batch = takeBatch();
      if (batch.length === 0) return;
      inFlight++;
      for (const step of batch) runsInFlight.add(step.runId);
      void sendBatch(batch).finally(() => {
        inFlight--;
        for (const step of batch) runsInFlight.delete(step.runId);
        pump();
      });
    }
  };

  /**
   * The next batch, in arrival order. Left for a later batch: steps of a run with a batch in
   * flight, a second record of the same item or a second end of the same run (one row each per
   * statement), and everything after them of the same run, so a run's steps keep their order.
   */
  const takeBatch = (): PendingStep[] => {
    const batch: PendingStep[] = [];
    const left: PendingStep[] = [];
    const deferred = new Set<string>();
    const items = new Set<string>();
    const ending = new Set<string>();
    let bytes = 0;
    for (const step of waiting) {
      const item = `${step.runId}\u0000${step.write.itemKey}`;
      const full = batch.length >= BATCH_MAX_STEPS || (batch.length > 0 && bytes + step.bytes > BATCH_MAX_BYTES);
      if (
        full ||
        deferred.has(step.runId) ||
        runsInFlight.has(step.runId) ||
        items.has(item) ||
        (step.end !== undefined && ending.has(step.runId))
      ) {
        deferred.add(step.runId);
        left.push(step);
        continue;
      }
      batch.push(step);
      items.add(item);
      if (step.end !== undefined) ending.add(step.runId);
      bytes += step.bytes;
    }
    waiting.length = 0;
    waiting.push(...left);
    return batch;
  };

  const sendBatch = async (batch: PendingStep[]): Promise<void> => {
    let rows: BatchRow[];
    try {
      rows = await writeBatch(batch);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.failed(err);
        return;
      }
      // One statement, so nothing of the batch was written: each step is tried alone to learn
      // whose it was (a log the database refuses) or to get past a deadlock with another process.
      // One after another, in arrival order: a run's steps keep their order, and a database that
      // is down gets one statement at a time, not a pool's worth.
      for (const step of batch) {
        try {
          const [row] = await writeBatch([step]);
          settle(step, row);
        } catch (alone) {
          step.failed(alone);
        }
      }
      return;
    }
    batch.forEach((step, i) => {
      settle(step, rows[i]);
    });
  };

  const settle = (step: PendingStep, row: BatchRow | undefined) => {
    if (row === undefined) step.failed(new AppError('INTERNAL', 'A batch of steps came back without a row for each step.'));
    else step.done({ recorded: row.recorded, runFound: row.run_found, refsOk: row.refs_ok, finishable: row.finishable });
  };

  const writeBatch = async (batch: PendingStep[]): Promise<BatchRow[]> => {
    const values = batchValues(batch, nowIso());
    if (values.length !== FIRST_BLOB_PARAM - 1) throw new AppError('INTERNAL', 'recordStep parameters are out of step with its SQL.');
    const blobs = blobInsert(batch, values);
    const query = blobs === undefined ? RECORD_STEPS : `${RECORD_STEPS_SQL}${blobs} ${RECORD_STEPS_RESULT}`;
    return db.rows<BatchRow>(query, values);
  };

  /**
   * Records a step through the batch; for a final step (end) also ends the run. Returns the step's
   * payload ids and whether the run ended here.
   */
  const record = async (
    runId: string,
    companyId: string,
    write: JournalWrite,
    end?: PendingStep['end'],
  ): Promise<{ ids: Record<string, string[]>; finished: boolean }> => {
    const ids: Record<string, string[]> = {};
    const stored: PreparedPayload[] = [];
    const referenced = new Set<string>();
    let bytes = 0;
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
          bytes += prepared.bytes;
        }
      }
      ids[label] = labelIds;
    }
    const logs =
      write.outputsLogIndex === undefined || write.logs[write.outputsLogIndex] === undefined
        ? write.logs
        : write.logs.map((l, i) => (i === write.outputsLogIndex ? { ...l, payloadIdsOut: Object.values(ids).flat() } : l));

    const outcome = await new Promise<{ recorded: boolean; runFound: boolean; refsOk: boolean; finishable: boolean }>((done, failed) => {
      submit({ runId, companyId, write, ids, stored, referenced: [...referenced], logs, bytes, end, done, failed });
    });
    if (outcome.recorded) return { ids, finished: outcome.finishable };
    if (!outcome.runFound) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);

    // Recorded already (a worker that lost its lease finishing late): the first record stays, so
    // every worker continues from the same outputs. A fresh statement sees a concurrent first record.
    const earlier = await db.row<{ outputs: Record<string, string[]> }>(SQL.recorded, [runId, companyId, write.itemKey]);
    if (earlier !== undefined) {
      // The run still ends, as it would after a step recorded on its own.
      const finished = end !== undefined && (await db.run(SQL.finish, [end.status, end.error, nowIso(), runId, end.owner])) > 0;
      return { ids: earlier.outputs, finished };
    }
    if (!outcome.refsOk) {
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

    async recordStep(runId, companyId, write) {
      return (await record(runId, companyId, write)).ids;
    },

    // One statement with the step, which keeps the guarantee that a finished run never lacks its last step.
    async recordFinalStep(runId, companyId, write, owner, outcome) {
      assertTerminal(outcome.status, 'recordFinalStep');
      return record(runId, companyId, write, { owner, status: outcome.status, error: outcome.error ?? null });
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
