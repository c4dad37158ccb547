import type { PayloadRecord, Run, RunLog } from '../../store/types.js';

/** The `data` of the start answer: as the first answer said it, also when an idempotent replay sends it again. */
export function runSummaryJson(run: Run, replayed = false) {
  return {
    id: run.id,
    flow_id: run.flowId,
    flow_version_id: run.versionId,
    status: replayed ? 'queued' : run.status,
    trigger: run.trigger,
  };
}

export function runJson(run: Run) {
  const durationMs = run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
  return {
    id: run.id,
    flow_id: run.flowId,
    flow_version_id: run.versionId,
    status: run.status,
    trigger: run.trigger,
    priority: run.priority,
    queued_at: run.queuedAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: durationMs,
    steps_completed: run.stepsCompleted,
    attempts: run.attempts,
    error: run.error,
    stop_requested: run.stopRequested,
    input_payload_id: run.inputPayloadId,
    parent_run_id: run.parentRunId,
    retry_of_run_id: run.retryOfRunId,
    variables: run.variables,
  };
}

export function runLogJson(log: RunLog) {
  return {
    id: log.id,
    step_id: log.stepId,
    step_name: log.stepName,
    level: log.level,
    message: log.message,
    attempt: log.attempt,
    duration_ms: log.durationMs,
    payload_ids_in: log.payloadIdsIn,
    payload_ids_out: log.payloadIdsOut,
    data: log.data,
    created_at: log.createdAt,
  };
}

export function payloadJson(p: PayloadRecord) {
  return { id: p.id, run_id: p.runId, format: p.format, bytes: p.bytes, sha256: p.sha256, meta: p.meta, created_at: p.createdAt };
}

export const CONTENT_TYPES = { json: 'application/json', xml: 'application/xml', csv: 'text/csv', text: 'text/plain' } as const;
