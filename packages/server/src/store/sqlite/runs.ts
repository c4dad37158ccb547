import { AppError, type RunStatus, TERMINAL_RUN_STATUSES } from '@weft/schema';
import { type RawBuilder, sql } from 'kysely';
import { assertTerminal } from '../final-step-types.js';
import { newIdAt } from '../ids.js';
import type { CreateRunInput, CreateRunResult, Run, RunSort, Store } from '../types.js';
import { normaliseTimestamp, nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';
import { insertPayload, type PreparedPayload, preparePayload } from './payloads.js';
import { toRun } from './rows.js';
import type { RunsTable } from './tables.js';

type RunMethods = Pick<
  Store,
  | 'createRun'
  | 'getRun'
  | 'listRuns'
  | 'requestStop'
  | 'listRunnable'
  | 'claimRun'
  | 'renewLease'
  | 'releaseRun'
  | 'finishRun'
  | 'countRunning'
>;

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Ends a run its owner holds; also the journal's, where a run's last step ends it in the same write. */
export const FINISH_RUN_SQL = `UPDATE runs SET status = ?, error = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
    WHERE id = ? AND lease_owner = ? AND status IN ('queued', 'running')`;

// The hot paths (create, claim, finish) are fixed SQL on cached prepared statements: Kysely's
// compile step would cost more than the statement itself.
const SQL = {
  getRun: 'SELECT * FROM runs WHERE id = ? AND company_id = ?',
  getIdempotency: 'SELECT request_hash, run_id, expires_at FROM idempotency_keys WHERE company_id = ? AND key = ?',
  putIdempotency: `INSERT INTO idempotency_keys (company_id, key, request_hash, run_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (company_id, key) DO UPDATE SET request_hash = excluded.request_hash, run_id = excluded.run_id,
      created_at = excluded.created_at, expires_at = excluded.expires_at`,
  versionOfFlow: 'SELECT 1 FROM flow_versions WHERE id = ? AND flow_id = ? AND company_id = ?',
  runOfCompany: 'SELECT 1 FROM runs WHERE id = ? AND company_id = ?',
  insertRun: `INSERT INTO runs (id, company_id, flow_id, version_id, status, "trigger", priority, expedite, input_payload_id,
    variables, parent_run_id, retry_of_run_id, queued_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
  // The literal statuses (not parameters) are what lets SQLite use the partial indexes.
  queued: "SELECT * FROM runs WHERE status = 'queued' ORDER BY id LIMIT ?",
  leaseExpired: "SELECT * FROM runs WHERE status = 'running' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?",
  claim: `UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?), lease_owner = ?, lease_expires_at = ?,
    attempts = attempts + 1
    WHERE id = ? AND (status = 'queued' OR (status = 'running' AND lease_expires_at < ?)) RETURNING *`,
  renew: "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
  release:
    "UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
  finish: FINISH_RUN_SQL,
  stopQueued: "UPDATE runs SET status = 'stopped', stop_requested = 1, finished_at = ? WHERE id = ? AND status = 'queued'",
  stopRunning: "UPDATE runs SET stop_requested = 1 WHERE id = ? AND status = 'running'",
  // Forced onto the partial index: it holds only running runs, while the planner might otherwise
  // walk every run of the company.
  countRunning: "SELECT count(*) AS n FROM runs INDEXED BY runs_running WHERE status = 'running' AND company_id = ?",
} as const;

/** Runs: creation (with idempotency), listing, stop, and the worker's lease protocol. */
export function runMethods(ctx: SqliteContext): RunMethods {
  const { db } = ctx;
  const k = db.kysely;
  const stmt = (text: string) => db.statement(text);

  const readRun = (companyId: string, runId: string) => stmt(SQL.getRun).get(runId, companyId) as RunsTable | undefined;

  const insertRun = (companyId: string, input: CreateRunInput, payload: PreparedPayload): CreateRunResult => {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const idempotency = input.idempotency;
    if (idempotency !== undefined) {
      const earlier = stmt(SQL.getIdempotency).get(companyId, idempotency.key) as
        | { request_hash: string; run_id: string; expires_at: string }
        | undefined;
      // An expired key is free again; so is one whose run retention already removed.
      if (earlier !== undefined && earlier.expires_at > now) {
        if (earlier.request_hash !== idempotency.requestHash) {
          throw new AppError(
            'IDEMPOTENCY_KEY_REUSED',
            `The Idempotency-Key "${idempotency.key}" was already used for a different request.`,
            {
              details: { 'Idempotency-Key': ['was used with a different request body'] },
            },
          );
        }
        const run = readRun(companyId, earlier.run_id);
        if (run !== undefined) return { run: toRun(run), replayed: true };
      }
    }

    if (stmt(SQL.versionOfFlow).get(input.versionId, input.flowId, companyId) === undefined) {
      throw new AppError('NOT_FOUND', `The flow ${input.flowId} has no version ${input.versionId}.`);
    }
    for (const linked of [input.parentRunId, input.retryOfRunId]) {
      if (linked !== undefined && stmt(SQL.runOfCompany).get(linked, companyId) === undefined) {
        throw new AppError('NOT_FOUND', `The run ${linked} does not exist.`);
      }
    }

    const runId = newIdAt(nowMs);
    const variables = input.variables ?? {};
    const expedite = input.expedite ? 1 : 0;
    stmt(SQL.insertRun).run(
      runId,
      companyId,
      input.flowId,
      input.versionId,
      input.trigger,
      input.priority,
      expedite,
      payload.id,
      JSON.stringify(variables),
      input.parentRunId ?? null,
      input.retryOfRunId ?? null,
      now,
    );
    insertPayload(ctx, payload, companyId, runId, now);
    if (idempotency !== undefined) {
      const expiresAt = new Date(nowMs + IDEMPOTENCY_TTL_MS).toISOString();
      stmt(SQL.putIdempotency).run(companyId, idempotency.key, idempotency.requestHash, runId, now, expiresAt);
    }
    const run: Run = {
      id: runId,
      companyId,
      flowId: input.flowId,
      versionId: input.versionId,
      status: 'queued',
      trigger: input.trigger,
      priority: input.priority,
      expedite: expedite === 1,
      inputPayloadId: payload.id,
      variables: { ...variables },
      parentRunId: input.parentRunId ?? null,
      retryOfRunId: input.retryOfRunId ?? null,
      stopRequested: false,
      error: null,
      stepsCompleted: 0,
      attempts: 0,
      queuedAt: now,
      startedAt: null,
      finishedAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    return { run, replayed: false };
  };

  const stopRun = (companyId: string, runId: string) => {
    const row = readRun(companyId, runId);
    if (row === undefined) return undefined;
    if (TERMINAL_RUN_STATUSES.includes(row.status as RunStatus)) {
      throw new AppError('RUN_NOT_STOPPABLE', `The run ${runId} has already finished (${row.status}).`);
    }
    if (row.status === 'queued') stmt(SQL.stopQueued).run(nowIso(), runId);
    else stmt(SQL.stopRunning).run(runId);
    const after = readRun(companyId, runId);
    return after && toRun(after);
  };

  return {
    async createRun(companyId, input) {
      const payload = await preparePayload(ctx, input.input);
      return db.write(() => insertRun(companyId, input, payload));
    },

    async getRun(companyId, runId) {
      const row = readRun(companyId, runId);
      return row && toRun(row);
    },

    async listRuns(companyId, filters, sort, page) {
      let query = k.selectFrom('runs').where('company_id', '=', companyId);
      if (filters.flowId?.length) query = query.where('flow_id', 'in', filters.flowId);
      if (filters.versionId?.length) query = query.where('version_id', 'in', filters.versionId);
      if (filters.status?.length) query = query.where('status', 'in', filters.status);
      if (filters.trigger?.length) query = query.where('trigger', 'in', filters.trigger);
      // Phrased on the indexed expression so a time range is an index range, not a scan.
      const startedFrom = filters.startedAfter === undefined ? undefined : timestampFilter('started_after', filters.startedAfter);
      const startedUntil = filters.startedBefore === undefined ? undefined : timestampFilter('started_before', filters.startedBefore);
      if (startedFrom !== undefined || startedUntil !== undefined) query = query.where('started_at', 'is not', null);
      if (startedFrom !== undefined) query = query.where(sql`coalesce(started_at, '~')`, '>=', startedFrom);
      if (startedUntil !== undefined) query = query.where(sql`coalesce(started_at, '~')`, '<', startedUntil);

      // Totals come from the trigger-kept run_counts; only a time range needs counting rows.
      const byTime = startedFrom !== undefined || startedUntil !== undefined;
      let counted = k
        .selectFrom('run_counts')
        .select((eb) => eb.fn.sum<number>('runs').as('n'))
        .where('company_id', '=', companyId);
      if (filters.flowId?.length) counted = counted.where('flow_id', 'in', filters.flowId);
      if (filters.versionId?.length) counted = counted.where('version_id', 'in', filters.versionId);
      if (filters.status?.length) counted = counted.where('status', 'in', filters.status);
      if (filters.trigger?.length) counted = counted.where('trigger', 'in', filters.trigger);
      const total = (byTime ? db.first(query.select((eb) => eb.fn.countAll<number>().as('n')))?.n : db.first(counted)?.n) ?? 0;

      const { limit, offset } = pageWindow(page);
      // Knowing the total, never ask for rows past it: a filter matching few old runs would
      // otherwise walk the whole index looking for more.
      const wanted = Math.min(limit, total - offset);
      if (wanted <= 0) return { rows: [], total };
      const { keys, direction } = sortKeys(sort);
      let ordered = query.selectAll();
      for (const key of keys) ordered = ordered.orderBy(key, direction);
      const rows = db.all(ordered.limit(wanted).offset(offset));
      return { rows: rows.map(toRun), total };
    },

    async requestStop(companyId, runId) {
      return db.write(() => stopRun(companyId, runId));
    },

    async listRunnable(limit) {
      const now = nowIso();
      const queued = stmt(SQL.queued).all(limit) as RunsTable[];
      const expired = stmt(SQL.leaseExpired).all(now, limit) as RunsTable[];
      return [...queued, ...expired]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
        .map(toRun);
    },

    async claimRun(runId, owner, leaseMs) {
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      const row = await db.writeOne(
        () => stmt(SQL.claim).get(now, owner, new Date(nowMs + leaseMs).toISOString(), runId, now) as RunsTable | undefined,
      );
      return row && toRun(row);
    },

    async renewLease(runId, owner, leaseMs) {
      const expiresAt = new Date(Date.now() + leaseMs).toISOString();
      return db.writeOne(() => stmt(SQL.renew).run(expiresAt, runId, owner).changes > 0);
    },

    async releaseRun(runId, owner) {
      await db.writeOne(() => stmt(SQL.release).run(runId, owner));
    },

    async finishRun(runId, owner, outcome) {
      assertTerminal(outcome.status, 'finishRun');
      return db.writeOne(() => stmt(SQL.finish).run(outcome.status, outcome.error ?? null, nowIso(), runId, owner).changes > 0);
    },

    async countRunning(companyId) {
      return (stmt(SQL.countRunning).get(companyId) as { n: number }).n;
    },
  };
}

/**
 * The sort keys, most significant first. Unstarted (unfinished) runs sort as later than all
 * others, the way PostgreSQL orders NULLs; the expressions are exactly the indexed ones
 * (migrations.ts), so the newest page is an index walk, not a sort.
 */
function sortKeys(sort: RunSort): { keys: RawBuilder<unknown>[]; direction: 'asc' | 'desc' } {
  const direction = sort.startsWith('-') ? 'desc' : 'asc';
  switch (sort) {
    case 'started_at':
    case '-started_at':
      return { keys: [sql`coalesce(started_at, '~')`, sql`id`], direction };
    case 'finished_at':
    case '-finished_at':
      return { keys: [sql`coalesce(finished_at, '~')`, sql`id`], direction };
    case 'queued_at':
    case '-queued_at':
      // Ids are made from the same clock reading as queued_at and only ever increase, so the
      // primary key order is the queued order (it stays the creation order if the clock steps back).
      return { keys: [sql`id`], direction };
  }
}

function timestampFilter(field: string, value: string): string {
  const normalised = normaliseTimestamp(value);
  if (normalised === undefined) {
    throw new AppError('VALIDATION_FAILED', `${field} must be an ISO 8601 timestamp, got "${value}".`, {
      details: { [field]: ['must be an ISO 8601 timestamp'] },
    });
  }
  return normalised;
}
