import { AppError } from '@weft/schema';
import { assertTerminal } from '../final-step-types.js';
import { newIdAt } from '../ids.js';
import type { CreateRunInput, CreateRunResult, Run, RunSort, Store } from '../types.js';
import { normaliseTimestamp, nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';
import { preparePayload } from './payloads.js';
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

/**
 * A start in one statement, so one round trip and atomic without BEGIN/COMMIT. Each step feeds the
 * next, so nothing is written unless everything before it held: the version belongs to the flow
 * and company and the linked runs exist (ok); the idempotency key was free or expired (idem: the
 * insert waits for a concurrent start holding the same key and then sees its row); then the run,
 * its input payload and, for a large body, its blob. No row back means nothing was written, and
 * createRun asks why.
 */
const CREATE_RUN = statement(`WITH ok AS (
    SELECT 1 FROM flow_versions
    WHERE id = $4 AND flow_id = $3 AND company_id = $2
      AND ($10::text IS NULL OR EXISTS (SELECT 1 FROM runs WHERE id = $10 AND company_id = $2))
      AND ($11::text IS NULL OR EXISTS (SELECT 1 FROM runs WHERE id = $11 AND company_id = $2))
  ), idem AS (
    INSERT INTO idempotency_keys AS k (company_id, key, request_hash, run_id, created_at, expires_at)
    SELECT $2::text, $13::text, $14::text, $1::text, $12::timestamptz, $15::timestamptz FROM ok WHERE $13::text IS NOT NULL
    ON CONFLICT (company_id, key) DO UPDATE SET request_hash = excluded.request_hash, run_id = excluded.run_id,
      created_at = excluded.created_at, expires_at = excluded.expires_at
      WHERE k.expires_at <= excluded.created_at
    RETURNING 1
  ), run AS (
    INSERT INTO runs (id, company_id, flow_id, version_id, status, "trigger", priority, expedite, input_payload_id,
      variables, parent_run_id, retry_of_run_id, queued_at)
    SELECT $1::text, $2::text, $3::text, $4::text, 'queued', $5::text, $6::integer, $7::boolean, $8::text, $9::json, $10::text, $11::text,
      $12::timestamptz
    FROM ok WHERE $13::text IS NULL OR EXISTS (SELECT 1 FROM idem)
    RETURNING id
  ), blob AS (
    INSERT INTO payload_blobs (sha256, bytes, body, created_at)
    SELECT $19::text, $18::bigint, $20::bytea, $12::timestamptz FROM run WHERE NOT $21::boolean
    ON CONFLICT (sha256) DO NOTHING
  )
  INSERT INTO payloads (id, company_id, run_id, format, meta, bytes, sha256, body, created_at)
  SELECT $8::text, $2::text, run.id, $16::text, $17::json, $18::bigint, $19::text, CASE WHEN $21::boolean THEN $20::bytea END, $12::timestamptz FROM run
  RETURNING run_id`);

/** Why a start wrote nothing, asked only on that path. The key is judged as of the start's clock. */
const WHY_NOT_CREATED = statement(`SELECT
    (SELECT request_hash FROM idempotency_keys WHERE company_id = $1 AND key = $2 AND expires_at > $3) AS request_hash,
    (SELECT run_id FROM idempotency_keys WHERE company_id = $1 AND key = $2 AND expires_at > $3) AS run_id,
    EXISTS (SELECT 1 FROM flow_versions WHERE id = $5 AND flow_id = $4 AND company_id = $1) AS version_ok,
    ($6::text IS NULL OR EXISTS (SELECT 1 FROM runs WHERE id = $6 AND company_id = $1)) AS parent_ok,
    ($7::text IS NULL OR EXISTS (SELECT 1 FROM runs WHERE id = $7 AND company_id = $1)) AS retry_ok`);

/** Ends a run its owner holds; also the journal's, for a final step whose run a late record ends. */
export const FINISH_RUN = statement(`UPDATE runs SET status = $1, error = $2, finished_at = $3, lease_owner = NULL, lease_expires_at = NULL
    WHERE id = $4 AND lease_owner = $5 AND status IN ('queued', 'running')`);

const SQL = {
  getRun: statement('SELECT * FROM runs WHERE id = $1 AND company_id = $2'),
  // A key whose run retention removed is free again.
  freeOrphanKey: statement('DELETE FROM idempotency_keys WHERE company_id = $1 AND key = $2 AND run_id = $3'),
  // The literal statuses (not parameters) are what lets PostgreSQL use the partial indexes.
  runnable: statement(`SELECT * FROM (
      (SELECT * FROM runs WHERE status = 'queued' ORDER BY id LIMIT $1)
      UNION ALL
      (SELECT * FROM runs WHERE status = 'running' AND lease_expires_at < $2 ORDER BY lease_expires_at LIMIT $1)
    ) r ORDER BY id LIMIT $1`),
  // SKIP LOCKED: a claimer never queues behind another claimer (or the owner's write) on the same
  // run; the row it would wait for is being taken or advanced by someone else, which is "not yours".
  claim: statement(`UPDATE runs r SET status = 'running', started_at = coalesce(r.started_at, $1), lease_owner = $2,
      lease_expires_at = $3, attempts = r.attempts + 1
    FROM (SELECT id FROM runs WHERE id = $4 AND (status = 'queued' OR (status = 'running' AND lease_expires_at < $1))
          FOR NO KEY UPDATE SKIP LOCKED) c
    WHERE r.id = c.id AND (r.status = 'queued' OR (r.status = 'running' AND r.lease_expires_at < $1))
    RETURNING r.*`),
  renew: statement("UPDATE runs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'"),
  release: statement(
    "UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
  ),
  finish: FINISH_RUN,
  // A queued run stops at once; a running one is asked to. The status condition is rechecked on the
  // current row if a claim or finish got there first.
  stop: statement(`UPDATE runs SET stop_requested = true,
      status = CASE WHEN status = 'queued' THEN 'stopped' ELSE status END,
      finished_at = CASE WHEN status = 'queued' THEN $3::timestamptz ELSE finished_at END
    WHERE id = $1 AND company_id = $2 AND status IN ('queued', 'running') RETURNING *`),
  countRunning: statement("SELECT count(*) AS n FROM runs WHERE status = 'running' AND company_id = $1"),
} as const;

/** Runs: creation (with idempotency), listing, stop, and the worker's lease protocol. */
export function runMethods(ctx: PostgresContext): RunMethods {
  const { db } = ctx;
  const k = db.kysely;

  const readRun = (companyId: string, runId: string) => db.row<RunsTable>(SQL.getRun, [runId, companyId]);

  const createRun = async (companyId: string, input: CreateRunInput, attempt: number): Promise<CreateRunResult> => {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const runId = newIdAt(nowMs);
    const payload = preparePayload(ctx, input.input);
    const variables = input.variables ?? {};
    const idempotency = input.idempotency;
    const created = await db.row<{ run_id: string }>(CREATE_RUN, [
      runId,
      companyId,
      input.flowId,
      input.versionId,
      input.trigger,
      input.priority,
      input.expedite,
      payload.id,
      JSON.stringify(variables),
      input.parentRunId ?? null,
      input.retryOfRunId ?? null,
      now,
      idempotency?.key ?? null,
      idempotency?.requestHash ?? null,
      new Date(nowMs + IDEMPOTENCY_TTL_MS).toISOString(),
      payload.format,
      payload.meta,
      payload.bytes,
      payload.sha256,
      payload.body,
      payload.inline,
    ]);
    if (created !== undefined) {
      const run: Run = {
        id: runId,
        companyId,
        flowId: input.flowId,
        versionId: input.versionId,
        status: 'queued',
        trigger: input.trigger,
        priority: input.priority,
        expedite: input.expedite,
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
    }

    const why = await db.row<{
      request_hash: string | null;
      run_id: string | null;
      version_ok: boolean;
      parent_ok: boolean;
      retry_ok: boolean;
    }>(WHY_NOT_CREATED, [
      companyId,
      idempotency?.key ?? null,
      now,
      input.flowId,
      input.versionId,
      input.parentRunId ?? null,
      input.retryOfRunId ?? null,
    ]);
    if (idempotency !== undefined && why?.request_hash != null && why.run_id !== null) {
      if (why.request_hash !== idempotency.requestHash) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', `The Idempotency-Key "${idempotency.key}" was already used for a different request.`, {
          details: { 'Idempotency-Key': ['was used with a different request body'] },
        });
      }
      const earlier = await readRun(companyId, why.run_id);
      if (earlier !== undefined) return { run: toRun(earlier), replayed: true };
      // Retention removed the run the key pointed to: the key is free, start again once.
      if (attempt === 0) {
        await db.run(SQL.freeOrphanKey, [companyId, idempotency.key, why.run_id]);
        return createRun(companyId, input, attempt + 1);
      }
    }
    if (why?.version_ok !== true) throw new AppError('NOT_FOUND', `The flow ${input.flowId} has no version ${input.versionId}.`);
    if (why.parent_ok !== true) throw new AppError('NOT_FOUND', `The run ${input.parentRunId} does not exist.`);
    if (why.retry_ok !== true) throw new AppError('NOT_FOUND', `The run ${input.retryOfRunId} does not exist.`);
    // The key was taken by a start that committed after this one looked: try again, and replay it.
    if (attempt < 3) return createRun(companyId, input, attempt + 1);
    throw new AppError('STORAGE_UNAVAILABLE', `The run could not be created; try again.`);
  };

  return {
    async createRun(companyId, input) {
      return createRun(companyId, input, 0);
    },

    async getRun(companyId, runId) {
      const row = await readRun(companyId, runId);
      return row && toRun(row);
    },

    async listRuns(companyId, filters, sort, page) {
      let query = k.selectFrom('runs').where('company_id', '=', companyId);
      if (filters.flowId?.length) query = query.where('flow_id', 'in', filters.flowId);
      if (filters.versionId?.length) query = query.where('version_id', 'in', filters.versionId);
      if (filters.status?.length) query = query.where('status', 'in', filters.status);
      if (filters.trigger?.length) query = query.where('trigger', 'in', filters.trigger);
      const startedFrom = filters.startedAfter === undefined ? undefined : timestampFilter('started_after', filters.startedAfter);
      const startedUntil = filters.startedBefore === undefined ? undefined : timestampFilter('started_before', filters.startedBefore);
      if (startedFrom !== undefined) query = query.where('started_at', '>=', startedFrom);
      if (startedUntil !== undefined) query = query.where('started_at', '<', startedUntil);

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
      const totalRow = byTime ? await db.first(query.select((eb) => eb.fn.countAll<number>().as('n'))) : await db.first(counted);
      // sum() of bigint is numeric, which arrives as text.
      const total = Number(totalRow?.n ?? 0);

      const { limit, offset } = pageWindow(page);
      // Knowing the total, never ask for rows past it: a filter matching few old runs would
      // otherwise walk the whole index looking for more.
      const wanted = Math.min(limit, total - offset);
      if (wanted <= 0) return { rows: [], total };
      const { keys, direction } = sortKeys(sort);
      let ordered = query.selectAll();
      for (const key of keys) ordered = ordered.orderBy(key, direction);
      const rows = await db.all(ordered.limit(wanted).offset(offset));
      return { rows: rows.map(toRun), total };
    },

    async requestStop(companyId, runId) {
      const stopped = await db.row<RunsTable>(SQL.stop, [runId, companyId, nowIso()]);
      if (stopped !== undefined) return toRun(stopped);
      const row = await readRun(companyId, runId);
      if (row === undefined) return undefined;
      throw new AppError('RUN_NOT_STOPPABLE', `The run ${runId} has already finished (${row.status}).`);
    },

    async listRunnable(limit) {
      return (await db.rows<RunsTable>(SQL.runnable, [limit, nowIso()])).map(toRun);
    },

    async claimRun(runId, owner, leaseMs) {
      const nowMs = Date.now();
      const row = await db.row<RunsTable>(SQL.claim, [
        new Date(nowMs).toISOString(),
        owner,
        new Date(nowMs + leaseMs).toISOString(),
        runId,
      ]);
      return row && toRun(row);
    },

    async renewLease(runId, owner, leaseMs) {
      return (await db.run(SQL.renew, [new Date(Date.now() + leaseMs).toISOString(), runId, owner])) > 0;
    },

    async releaseRun(runId, owner) {
      await db.run(SQL.release, [runId, owner]);
    },

    async finishRun(runId, owner, outcome) {
      assertTerminal(outcome.status, 'finishRun');
      return (await db.run(SQL.finish, [outcome.status, outcome.error ?? null, nowIso(), runId, owner])) > 0;
    },

    async countRunning(companyId) {
      return (await db.row<{ n: number }>(SQL.countRunning, [companyId]))?.n ?? 0;
    },
  };
}

/**
 * The sort keys, most significant first. PostgreSQL sorts NULLs last ascending and first
 * descending, which is the contract's "not started (finished) yet is the latest"; ties by id.
 */
function sortKeys(sort: RunSort): { keys: Array<'started_at' | 'finished_at' | 'id'>; direction: 'asc' | 'desc' } {
  const direction = sort.startsWith('-') ? 'desc' : 'asc';
  switch (sort) {
    case 'started_at':
    case '-started_at':
      return { keys: ['started_at', 'id'], direction };
    case 'finished_at':
    case '-finished_at':
      return { keys: ['finished_at', 'id'], direction };
    case 'queued_at':
    case '-queued_at':
      // Ids are made from the same clock reading as queued_at and only ever increase.
      return { keys: ['id'], direction };
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
