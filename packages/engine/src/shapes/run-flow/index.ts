import { createHash } from 'node:crypto';
import {
  AppError,
  RUN_FLOW_MAX_CHILDREN,
  RUN_FLOW_WAIT_DEFAULT_SECONDS,
  type RunFlowConfig,
  type RunStatus,
  TERMINAL_RUN_STATUSES,
} from '@weft/schema';
import { Payload } from '../../payload.js';
import type { Shape, ShapeContext } from '../../shape.js';
import type { ChildRun, ChildRuns } from './port.js';

/** The meta key carrying the child run's id on each payload passed on without wait. */
export const CHILD_RUN_META = 'child_run_id';
/** First and longest pause between two looks at the children while waiting. */
export const POLL_FIRST_MS = 200;
export const POLL_MAX_MS = 2000;
/**
 * How long a step waits in place before giving its worker slot back (when the worker lets it),
 * and when it asks to be resumed then: children that finish quickly cost no suspension, long
 * waits hold no slot.
 */
export const SUSPEND_AFTER_MS = 3000;
export const RESUME_AFTER_MS = 2000;

/**
 * The key that makes a child unique: parent run, step execution and payload position. A resumed
 * or retried parent derives the same keys, so the store answers the children it made before.
 */
export function childIdempotencyKey(parentRunId: string, itemKey: string, index: number): string {
  const digest = createHash('sha256').update(`${parentRunId}\0${itemKey}\0${index}`).digest('hex');
  return `weft-run-flow:${digest}`;
}

/**
 * The `run_flow` shape (spec/flows.md §3): starts one child run of another flow per payload
 * (trigger `shape`, linked to this run, queued like an API start). Without `wait` the payloads pass
 * on, each with the meta `child_run_id`. With `wait` the step looks at the children until all have
 * finished and emits their final payloads or one status document per child. It waits in place for
 * a few seconds, then gives the run back to the queue (services.suspendRun) and is resumed later,
 * so a long wait holds no worker slot; the deadline counts from the first child's creation.
 */
export const runFlowShape: Shape<RunFlowConfig> = {
  name: 'run_flow',
  // Starting children is idempotent, so retrying after a store hiccup is safe.
  retries: () => 2,
  timeoutMs: (config) =>
    config.wait === true ? ((config.wait_timeout_seconds ?? RUN_FLOW_WAIT_DEFAULT_SECONDS) + 60) * 1000 : 5 * 60 * 1000,
  async execute(ctx, input) {
    const port = ctx.services.childRuns;
    if (port === undefined) {
      throw new AppError('STEP_FAILED', 'run_flow: this engine cannot start child runs (no ChildRuns service)', { retryable: false });
    }
    if (input.length === 0) {
      ctx.log({ level: 'info', message: 'run_flow: no payloads, so no child runs' });
      return { payloads: [] };
    }
    const bucket = input;
    if (bucket.length > RUN_FLOW_MAX_CHILDREN) {
      throw new AppError(
        'STEP_FAILED',
        `run_flow: ${bucket.length} payloads would start ${bucket.length} child runs; at most ${RUN_FLOW_MAX_CHILDREN} per step (batch them with flow_control first)`,
        { retryable: false },
      );
    }
    const children: ChildRun[] = [];
    for (const [index, payload] of bucket.entries()) {
      const child = await port.start({
        parent: ctx.run,
        flow: ctx.config.flow,
        ...(ctx.config.version !== undefined && { version: ctx.config.version }),
        payload: { format: payload.format, meta: payload.meta, body: payload.bytes() },
        idempotencyKey: childIdempotencyKey(ctx.run.id, ctx.itemKey, index),
      });
      children.push(child);
    }
    ctx.log({
      level: 'info',
      message: `run_flow: ${children.length} child run${children.length === 1 ? '' : 's'} of "${ctx.config.flow}": ${children.map((c) => c.id).join(', ')}`,
      data: { child_run_ids: children.map((c) => c.id) },
    });
    if (ctx.config.wait !== true) {
      return { payloads: bucket.map((payload, i) => payload.withMeta({ ...payload.meta, [CHILD_RUN_META]: children[i]!.id })) };
    }
    const finished = await waitForChildren(ctx, port, children);
    return { payloads: await outputsOf(ctx, port, finished) };
  },
};

const TERMINAL = new Set<RunStatus>(TERMINAL_RUN_STATUSES);
const SUCCEEDED = new Set<RunStatus>(['success', 'partial_success']);

async function waitForChildren(ctx: ShapeContext<RunFlowConfig>, port: ChildRuns, started: ChildRun[]): Promise<ChildRun[]> {
  const timeoutMs = (ctx.config.wait_timeout_seconds ?? RUN_FLOW_WAIT_DEFAULT_SECONDS) * 1000;
  // Measured from the first child's creation, so a suspended and resumed step keeps its deadline.
  const firstQueuedMs = Math.min(...started.map((c) => Date.parse(c.queuedAt)).filter((ms) => !Number.isNaN(ms)), Date.now());
  const deadline = firstQueuedMs + timeoutMs;
  const suspendAt = Date.now() + SUSPEND_AFTER_MS;
  const wanted = new Set(started.map((c) => c.id));
  let pauseMs = POLL_FIRST_MS;
  for (;;) {
    const byId = new Map((await port.children(ctx.run)).filter((c) => wanted.has(c.id)).map((c) => [c.id, c]));
    const states = started.map((c) => byId.get(c.id) ?? c);
    const open = states.filter((c) => !TERMINAL.has(c.status));
    if (open.length === 0) return states;
    const now = Date.now();
    if (now >= deadline) {
      throw new AppError(
        'STEP_TIMEOUT',
        `run_flow: ${open.length} of ${states.length} child runs still not finished after ${Math.round(timeoutMs / 1000)} s (${open
          .slice(0, 5)
          .map((c) => `${c.id} ${c.status}`)
          .join(', ')}); they go on, raise wait_timeout_seconds to wait longer`,
        { retryable: false },
      );
    }
    if (now >= suspendAt && ctx.services.suspendRun !== undefined) {
      // The attempt ends here (the worker aborts ctx.signal); on resume the step runs again,
      // finds its children by their keys and looks at them afresh.
      ctx.services.suspendRun(Math.min(RESUME_AFTER_MS, deadline - now));
    }
    await ctx.services.sleep(Math.min(pauseMs, Math.max(0, deadline - Date.now())), ctx.signal);
    pauseMs = Math.min(POLL_MAX_MS, pauseMs * 2);
  }
}

async function outputsOf(ctx: ShapeContext<RunFlowConfig>, port: ChildRuns, children: ChildRun[]): Promise<Payload[]> {
  const failed = children.filter((c) => !SUCCEEDED.has(c.status));
  const onFailure = ctx.config.on_child_failure ?? 'fail';
  if (failed.length > 0) {
    const list = failed
      .slice(0, 5)
      .map((c) => `${c.id} ${c.status}${c.error ? `: ${c.error}` : ''}`)
      .join('; ');
    if (onFailure === 'fail') {
      throw new AppError('CHILD_RUN_FAILED', `run_flow: ${failed.length} of ${children.length} child runs did not succeed (${list})`, {
        retryable: false,
      });
    }
    ctx.log({
      level: 'warning',
      message: `run_flow: ${failed.length} of ${children.length} child runs did not succeed (${list}); going on with the others`,
    });
  }
  if (ctx.config.output === 'statuses') {
    return children.map((c) =>
      Payload.fromValue({ run_id: c.id, flow_id: c.flowId, status: c.status, error: c.error }, 'json', { [CHILD_RUN_META]: c.id }),
    );
  }
  const payloads: Payload[] = [];
  for (const child of children) {
    if (!SUCCEEDED.has(child.status)) continue;
    for (const p of await port.outputs(ctx.run.companyId, child.id)) payloads.push(p.withMeta({ ...p.meta, [CHILD_RUN_META]: child.id }));
  }
  return payloads;
}
