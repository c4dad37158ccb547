import { AppError, type PayloadFormat } from '@weft/schema';
import { assertTerminal } from '../final-step-types.js';
import type { JournalWrite, RunLogInput, Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { insertPayload, type PreparedPayload, preparePayload } from './payloads.js';
import { toJournalRecord, toPayloadRecord, toRunLog } from './rows.js';
import { FINISH_RUN_SQL } from './runs.js';
import type { PayloadsTable, StepResultsTable } from './tables.js';

type JournalMethods = Pick<
  Store,
  'loadJournal' | 'recordStep' | 'recordFinalStep' | 'appendLogs' | 'listRunLogs' | 'getPayload' | 'getPayloadBody' | 'loadPayloads'
>;

/** An output as the transaction sees it: a payload to insert, or the id of one already stored. */
type PreparedOutput = { stored: PreparedPayload } | { referenced: string };

const SQL = {
  runCompany: 'SELECT company_id FROM runs WHERE id = ?',
  journal: 'SELECT * FROM step_results WHERE run_id = ? ORDER BY seq',
  recorded: 'SELECT outputs FROM step_results WHERE run_id = ? AND item_key = ?',
  payloadOfCompany: 'SELECT 1 FROM payloads WHERE id = ? AND company_id = ?',
  insertStep: `INSERT INTO step_results (run_id, item_key, seq, step_id, status, outputs, variables, attempts, started_at, finished_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertLog: `INSERT INTO run_logs (run_id, step_id, step_name, level, message, attempt, duration_ms, payload_ids_in, payload_ids_out, data, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // Also the check that the run exists and belongs to the company: no row, no step.
  countStep: 'UPDATE runs SET steps_completed = steps_completed + 1 WHERE id = ? AND company_id = ? RETURNING steps_completed',
  // json_each keeps the statement text fixed whatever the number of ids.
  // One payload (a run's input, the usual case): the run's company and the row in one lookup.
  onePayloadOfRun: `SELECT r.company_id AS run_company, p.id, p.format, p.meta, p.sha256, p.body
    FROM runs r LEFT JOIN payloads p ON p.id = ? AND p.company_id = r.company_id WHERE r.id = ?`,
  payloadsOfCompany: 'SELECT id, format, meta, sha256, body FROM payloads WHERE company_id = ? AND id IN (SELECT value FROM json_each(?))',
  // finishRun's statement, so both share one prepared statement.
  finish: FINISH_RUN_SQL,
} as const;

/** The journal of completed steps, run logs and payload bodies. */
export function journalMethods(ctx: SqliteContext): JournalMethods {
  const { db } = ctx;
  const k = db.kysely;
  const stmt = (text: string) => db.statement(text);

  const runCompany = (runId: string) => (stmt(SQL.runCompany).get(runId) as { company_id: string } | undefined)?.company_id;

  const insertLogs = (runId: string, logs: RunLogInput[], at: string) => {
    const insert = stmt(SQL.insertLog);
    for (const log of logs) {
      insert.run(
        runId,
        log.stepId,
        log.stepName,
        log.level,
        log.message,
        log.attempt,
        log.durationMs,
        JSON.stringify(log.payloadIdsIn),
        JSON.stringify(log.payloadIdsOut),
        log.data === null ? null : JSON.stringify(log.data),
        log.createdAt ?? at,
      );
    }
  };

  const insertStep = (
    runId: string,
    companyId: string,
    write: JournalWrite,
    outputs: Array<[string, PreparedOutput[]]>,
  ): Record<string, string[]> => {
    // A step recorded twice (a worker that lost its lease finishing late) keeps the first
    // record, so every worker continues from the same outputs.
    const recorded = stmt(SQL.recorded).get(runId, write.itemKey) as { outputs: string } | undefined;
    if (recorded !== undefined) {
      if (runCompany(runId) !== companyId) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
      return JSON.parse(recorded.outputs) as Record<string, string[]>;
    }
    const counted = stmt(SQL.countStep).get(runId, companyId) as { steps_completed: number } | undefined;
    if (counted === undefined) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
    const seq = counted.steps_completed;

    const at = nowIso();
    const ids: Record<string, string[]> = {};
    for (const [label, items] of outputs) {
      const labelIds: string[] = [];
      for (const item of items) {
        if ('referenced' in item) {
          if (stmt(SQL.payloadOfCompany).get(item.referenced, companyId) === undefined) {
            throw new AppError('NOT_FOUND', `The payload ${item.referenced} does not exist.`);
          }
          labelIds.push(item.referenced);
        } else {
          insertPayload(ctx, item.stored, companyId, runId, at);
          labelIds.push(item.stored.id);
        }
      }
      ids[label] = labelIds;
    }
    stmt(SQL.insertStep).run(
      runId,
      write.itemKey,
      seq,
      write.stepId,
      write.status,
      JSON.stringify(ids),
      JSON.stringify(write.variables),
      write.attempts,
      write.startedAt,
      write.finishedAt,
    );
    const logs =
      write.outputsLogIndex === undefined || write.logs[write.outputsLogIndex] === undefined
        ? write.logs
        : write.logs.map((l, i) => (i === write.outputsLogIndex ? { ...l, payloadIdsOut: Object.values(ids).flat() } : l));
    insertLogs(runId, logs, at);
    return ids;
  };

  const prepareOutputs = async (write: JournalWrite): Promise<Array<[string, PreparedOutput[]]>> => {
    const outputs: Array<[string, PreparedOutput[]]> = [];
    for (const [label, items] of Object.entries(write.outputs)) {
      const prepared: PreparedOutput[] = [];
      for (const item of items) {
        prepared.push(item.id !== undefined ? { referenced: item.id } : { stored: await preparePayload(ctx, item) });
      }
      outputs.push([label, prepared]);
    }
    return outputs;
  };

  const appendToRun = (runId: string, logs: RunLogInput[]) => {
    if (runCompany(runId) === undefined) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
    insertLogs(runId, logs, nowIso());
  };

  const readBody = async (row: Pick<PayloadsTable, 'id' | 'sha256' | 'body'>): Promise<Buffer> => {
    if (row.body !== null) return row.body;
    const body = await ctx.files.read(row.sha256);
    if (body === undefined) throw new AppError('PAYLOAD_EXPIRED', `The payload ${row.id} was removed by retention.`);
    return body;
  };

  return {
    async loadJournal(runId) {
      return (stmt(SQL.journal).all(runId) as StepResultsTable[]).map(toJournalRecord);
    },

    async recordStep(runId, companyId, write) {
      const outputs = await prepareOutputs(write);
      return db.write(() => insertStep(runId, companyId, write, outputs));
    },

    async recordFinalStep(runId, companyId, write, owner, outcome) {
      assertTerminal(outcome.status, 'recordFinalStep');
      const outputs = await prepareOutputs(write);
      // One write, so one savepoint in the group commit: the step and the run's end commit together.
      return db.write(() => {
        const ids = insertStep(runId, companyId, write, outputs);
        const finished = stmt(SQL.finish).run(outcome.status, outcome.error ?? null, nowIso(), runId, owner).changes > 0;
        return { ids, finished };
      });
    },

    async appendLogs(runId, logs) {
      if (logs.length === 0) return;
      await db.write(() => appendToRun(runId, logs));
    },

    async listRunLogs(companyId, runId) {
      const rows = db.all(
        k
          .selectFrom('run_logs')
          .selectAll('run_logs')
          .innerJoin('runs', 'runs.id', 'run_logs.run_id')
          .where('runs.company_id', '=', companyId)
          .where('run_logs.run_id', '=', runId)
          .orderBy('run_logs.id'),
      );
      return rows.map(toRunLog);
    },

    async getPayload(companyId, payloadId) {
      const row = db.first(
        k
          .selectFrom('payloads')
          .select(['id', 'company_id', 'run_id', 'format', 'meta', 'bytes', 'sha256', 'created_at'])
          .where('company_id', '=', companyId)
          .where('id', '=', payloadId),
      );
      return row && toPayloadRecord(row);
    },

    async getPayloadBody(companyId, payloadId) {
      const row = db.first(
        k.selectFrom('payloads').select(['id', 'sha256', 'body']).where('company_id', '=', companyId).where('id', '=', payloadId),
      );
      return row && readBody(row);
    },

    async loadPayloads(runId, ids) {
      if (ids.length === 0) return [];
      if (ids.length === 1) {
        const id = ids[0]!;
        const row = stmt(SQL.onePayloadOfRun).get(id, runId) as
          | ({ run_company: string } & { [K in 'id' | 'format' | 'meta' | 'sha256' | 'body']: PayloadsTable[K] | null })
          | undefined;
        if (row === undefined) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
        if (row.id === null || row.format === null || row.meta === null || row.sha256 === null)
          throw new AppError('PAYLOAD_EXPIRED', `The payload ${id} no longer exists.`);
        const body = await readBody({ id: row.id, sha256: row.sha256, body: row.body });
        return [{ id, format: row.format as PayloadFormat, meta: JSON.parse(row.meta) as Record<string, string>, body }];
      }
      const companyId = runCompany(runId);
      if (companyId === undefined) throw new AppError('NOT_FOUND', `The run ${runId} does not exist.`);
      // Scoped by the run's company: a run can only ever read its own tenant's payloads.
      const rows = stmt(SQL.payloadsOfCompany).all(companyId, JSON.stringify(ids)) as Array<
        Pick<PayloadsTable, 'id' | 'format' | 'meta' | 'sha256' | 'body'>
      >;
      const byId = new Map(rows.map((row) => [row.id, row]));
      const result = [];
      for (const id of ids) {
        const row = byId.get(id);
        if (row === undefined) throw new AppError('PAYLOAD_EXPIRED', `The payload ${id} no longer exists.`);
        result.push({
          id,
          format: row.format as PayloadFormat,
          meta: JSON.parse(row.meta) as Record<string, string>,
          body: await readBody(row),
        });
      }
      return result;
    },
  };
}
