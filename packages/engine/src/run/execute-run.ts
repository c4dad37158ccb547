import {
  AppError,
  type EdgeDefinition,
  type FlowDefinition,
  isAppError,
  LABELLED_EDGE_SHAPES,
  type StepDefinition,
  type TryCatchOnError,
} from '@weft/schema';
import type { Payload } from '../payload.js';
import type { EngineServices } from '../services.js';
import type { RunInfo, Shape, ShapeResult, StepLog } from '../shape.js';
import type { JournalEntry, LogEntry, RunJournalPort } from './journal.js';
import { StepContext } from './step-context.js';

export interface ExecuteRunInput {
  run: RunInfo;
  definition: FlowDefinition;
  /** The run's stored input payload (handed to the trigger step as a bucket of one). */
  input: Payload;
  /** Definition defaults merged with the run's overrides. */
  variables: Record<string, string>;
  journal: RunJournalPort;
  services: EngineServices;
  shapes: ReadonlyMap<string, Shape<any>>;
  /** First retry backoff; doubles per attempt, with jitter. */
  retryBaseMs: number;
  /** Aborted when the worker shuts down or loses its lease: the run stops where it is, unfinished. */
  signal?: AbortSignal;
  /** Step executions the run may make in all, journalled ones included; the run fails before the next one. */
  maxSteps?: number;
}

export type RunOutcome =
  /** `error` on partial_success: the failure the try_catch caught, so the run's summary says what failed. */
  | { status: 'success' | 'partial_success'; stepsExecuted: number; error?: string }
  | { status: 'failure'; error: string; stepsExecuted: number }
  | { status: 'stopped'; stepsExecuted: number }
  /** The worker gave up the run (shutdown, lost lease); another worker resumes it. */
  | { status: 'interrupted'; stepsExecuted: number };

const DEFAULT_RETRIES = 3;
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** A pending step execution: which step, on which bucket, with which variables. */
interface WorkItem {
  key: string;
  step: StepDefinition;
  /** Either payloads in memory or the ids of stored ones (after a resume). */
  input: Payload[] | string[];
  variables: Record<string, string>;
  /** Set on items after a try_catch step's `try` edge: a failure there goes down `catch`. */
  tryScope?: TryScope;
}

interface TryScope {
  step: StepDefinition;
  onError: TryCatchOnError;
}

/** The output label under which a failed step inside a try scope journals its catch bucket. */
const CATCH_LABEL = 'catch';
/** Joins a failed item's key and a catch step's id; `!` cannot occur in step ids, so keys stay unique. */
const CATCH_KEY_SEPARATOR = '!catch>';
/** Meta values longer than this are cut, so an error message cannot blow the meta limit. */
const ERROR_META_MAX_CHARS = 1000;

/**
 * Runs one version's graph for one run. Steps execute depth-first: a step's output bucket goes
 * down each outgoing edge in definition order before siblings run. Every completed step is
 * journalled before its successors start, under a key that is the path of step ids from the
 * trigger, so a resumed run replays the journal and executes only what had not completed.
 *
 * Inside the `try` path of a try_catch step a failed step does not end the run: it is journalled
 * as a failure together with its input bucket marked with the error, and that bucket goes down the
 * `catch` path (under its own item key), also when a resumed run replays the failure.
 */
export async function executeRun(input: ExecuteRunInput): Promise<RunOutcome> {
  const { definition, journal } = input;
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  const outgoing = new Map<string, EdgeDefinition[]>();
  for (const edge of definition.edges) {
    const list = outgoing.get(edge.from) ?? [];
    list.push(edge);
    outgoing.set(edge.from, list);
  }
  orderLabelledEdges(outgoing, steps);
  const trigger = definition.steps.find((s) => s.shape === 'trigger');
  if (!trigger) return { status: 'failure', error: 'The flow has no trigger step.', stepsExecuted: 0 };

  const done = new Map<string, JournalEntry>();
  for (const entry of await journal.load()) done.set(entry.itemKey, entry);

  const stack: WorkItem[] = [{ key: trigger.id, step: trigger, input: [input.input], variables: input.variables }];
  let executed = 0;
  /** The first failure a try_catch caught, which decides how the run ends. */
  let caught: { error: string; onError: TryCatchOnError } | undefined;
  /** With `on_error: fail`, the stack depth at which the catch path has run and the run ends. */
  let failAtDepth: number | undefined;

  while (stack.length > 0) {
    if (failAtDepth !== undefined && stack.length <= failAtDepth) break;
    const item = stack.pop()!;
    let entry = done.get(item.key);
    let outputs: Record<string, Payload[] | string[]>;
    let failure: string | undefined;
    if (entry) {
      if (entry.status === 'failure') {
        if (!item.tryScope) return { status: 'failure', error: `Step "${item.step.id}" failed.`, stepsExecuted: executed };
        // A failure inside a try scope was caught before the interruption: its catch bucket is journalled with it.
        failure = `Step "${item.step.id}" failed.`;
      }
      outputs = entry.outputs;
    } else {
      if (input.signal?.aborted) return { status: 'interrupted', stepsExecuted: executed };
      if (await journal.shouldStop()) {
        await journal.appendLogs([runLog('warning', `Run stopped before step "${item.step.id}".`, item.step)]);
        return { status: 'stopped', stepsExecuted: executed };
      }
      if (input.maxSteps !== undefined && input.maxSteps > 0 && done.size + executed >= input.maxSteps) {
        const error = `The run reached its limit of ${input.maxSteps} step executions before step "${item.step.id}" (RUN_LIMIT_EXCEEDED); split the work into smaller runs or raise WEFT_RUN_MAX_STEPS.`;
        await journal.appendLogs([runLog('error', error, item.step, { data: { code: 'RUN_LIMIT_EXCEEDED' } })]);
        return { status: 'failure', error, stepsExecuted: executed };
      }
      // Nothing waits on the stack: if the step's outputs go nowhere either, it is the run's last.
      const lastCandidate = stack.length === 0 && failAtDepth === undefined;
      const result = await tracedStep(input, item, lastCandidate ? (outputs) => !hasFollowers(item.step, outputs, outgoing) : undefined);
      if (result === 'interrupted') return { status: 'interrupted', stepsExecuted: executed };
      executed++;
      if (result.status === 'failure') {
        if (!item.tryScope) return { status: 'failure', error: result.error, stepsExecuted: executed };
        failure = result.error;
        entry = { itemKey: item.key, stepId: item.step.id, status: 'failure', outputs: {}, variables: item.variables, attempts: 0 };
        outputs = { [CATCH_LABEL]: result.caught };
      } else {
        entry = result.entry;
        outputs = result.outputs;
      }
    }
    if (failure !== undefined && item.tryScope) {
      const { step: tryStep, onError } = item.tryScope;
      caught ??= { error: failure, onError };
      if (onError === 'fail' && failAtDepth === undefined) failAtDepth = stack.length;
      const catchEdges = (outgoing.get(tryStep.id) ?? []).filter((e) => e.label === CATCH_LABEL);
      const bucket = outputs[CATCH_LABEL] ?? [];
      for (let i = catchEdges.length - 1; i >= 0; i--) {
        const next = steps.get(catchEdges[i]!.to);
        if (!next || bucket.length === 0) continue;
        stack.push({ key: `${item.key}${CATCH_KEY_SEPARATOR}${next.id}`, step: next, input: bucket, variables: entry.variables });
      }
      continue;
    }
    const edges = outgoing.get(item.step.id) ?? [];
    // Pushed in reverse so the first edge's subtree runs first.
    for (let i = edges.length - 1; i >= 0; i--) {
      const edge = edges[i]!;
      const bucket = outputs[edge.label ?? ''] ?? [];
      const next = steps.get(edge.to);
      if (!next || bucket.length === 0) continue;
      const tryScope = childTryScope(item, edge);
      stack.push({
        key: `${item.key}>${next.id}`,
        step: next,
        input: bucket,
        variables: entry.variables,
        ...(tryScope ? { tryScope } : {}),
      });
    }
  }
  if (caught?.onError === 'fail') {
    return {
      status: 'failure',
      error: `${caught.error} The try_catch step sent its payloads down the catch path.`,
      stepsExecuted: executed,
    };
  }
  if (caught) {
    return {
      status: 'partial_success',
      error: `${caught.error} The try_catch step sent its payloads down the catch path.`,
      stepsExecuted: executed,
    };
  }
  return { status: 'success', stepsExecuted: executed };
}

/** The try scope of the item an edge leads to: opened by a try_catch's `try` edge, inherited otherwise. */
function childTryScope(item: WorkItem, edge: EdgeDefinition): TryScope | undefined {
  if (item.step.shape === 'try_catch') {
    if (edge.label !== 'try') return undefined;
    const onError = item.step.config.on_error === 'fail' ? 'fail' : 'partial_success';
    return { step: item.step, onError };
  }
  return item.tryScope;
}

/**
 * Edges out of route, branch and try_catch steps are followed in the order their config names
 * the labels (branches run in the order of `branches`, `try` before `catch`), whatever the order
 * of the edges array; edges with the same label keep their definition order.
 */
function orderLabelledEdges(outgoing: Map<string, EdgeDefinition[]>, steps: ReadonlyMap<string, StepDefinition>): void {
  for (const [from, edges] of outgoing) {
    const step = steps.get(from);
    if (!step || edges.length < 2 || !Object.hasOwn(LABELLED_EDGE_SHAPES, step.shape)) continue;
    const labels = LABELLED_EDGE_SHAPES[step.shape]?.labels(step.config);
    if (!labels) continue;
    const rank = (edge: EdgeDefinition) => {
      const at = edge.label === undefined ? -1 : labels.indexOf(edge.label);
      return at < 0 ? labels.length : at;
    };
    edges.sort((a, b) => rank(a) - rank(b));
  }
}

/** Whether any outgoing edge of `step` carries a payload of `outputs` (so more steps would run). */
function hasFollowers(step: StepDefinition, outputs: Record<string, Payload[]>, outgoing: ReadonlyMap<string, EdgeDefinition[]>): boolean {
  for (const edge of outgoing.get(step.id) ?? []) if ((outputs[edge.label ?? ''] ?? []).length > 0) return true;
  return false;
}

/** Tells runStep, from a successful step's outputs, whether nothing of the run executes after it. */
type IsFinal = (outputs: Record<string, Payload[]>) => boolean;

/** runStep inside a span named after the step, active for the step's outbound calls, when a tracer is given. */
function tracedStep(run: ExecuteRunInput, item: WorkItem, isFinal?: IsFinal): Promise<StepResult> {
  const tracer = run.services.tracer;
  if (tracer === undefined) return runStep(run, item, isFinal);
  return tracer.startActiveSpan(
    `step ${item.step.id}`,
    { attributes: { 'weft.step.id': item.step.id, 'weft.step.shape': item.step.shape } },
    async (span) => {
      try {
        const result = await runStep(run, item, isFinal);
        if (result !== 'interrupted' && result.status === 'failure') span.setStatus({ code: 2, message: result.error });
        return result;
      } finally {
        span.end();
      }
    },
  );
}

type StepResult =
  | { status: 'success'; entry: JournalEntry; outputs: Record<string, Payload[]> }
  /** `caught`: the failed step's input bucket marked with the error, when the step is inside a try scope. */
  | { status: 'failure'; error: string; caught: Payload[] }
  | 'interrupted';

async function runStep(run: ExecuteRunInput, item: WorkItem, isFinal?: IsFinal): Promise<StepResult> {
  const { step } = item;
  const shape = run.shapes.get(step.shape);
  const startedAt = run.services.now();
  const bucket = isIds(item.input) ? await run.journal.loadPayloads(item.input) : item.input;
  const idsIn = bucket.map((p) => p.id).filter((id): id is string => id !== undefined);
  if (!shape) {
    const error = `Step "${step.id}" uses unknown shape "${step.shape}".`;
    const caught = catchBucket(item, bucket, error);
    await recordFailure(run, item, startedAt, 0, [runLog('error', error, step, { payloadIdsIn: idsIn })], caught);
    return { status: 'failure', error, caught };
  }
  const retries = shape.retries?.(step.config) ?? DEFAULT_RETRIES;
  const timeoutMs = shape.timeoutMs?.(step.config) ?? DEFAULT_TIMEOUT_MS;
  const logs: LogEntry[] = [];

  /**
   * A failed attempt: logged, then retried after a backoff (undefined) or, once retries are spent or
   * retrying cannot help, journalled as the step's failure with its catch bucket.
   */
  const attemptFailed = async (err: unknown, attempt: number, attemptStart: number): Promise<StepResult | undefined> => {
    const appErr = isAppError(err) ? err : null;
    const message = appErr ? appErr.message : `Unexpected error: ${(err as Error)?.message ?? String(err)}`;
    const retryable = appErr ? appErr.retryable : true;
    const durationMs = Math.round(performance.now() - attemptStart);
    const last = !retryable || attempt > retries;
    logs.push(
      runLog(last ? 'error' : 'warning', `${step.name ?? step.id} attempt ${attempt} failed: ${message}`, step, {
        attempt,
        durationMs,
        payloadIdsIn: idsIn,
        data: { code: appErr?.code ?? 'INTERNAL', retryable },
      }),
    );
    if (last) {
      const caught = catchBucket(item, bucket, message);
      if (item.tryScope) {
        logs.push(
          runLog(
            'warning',
            `${bucket.length} payload${bucket.length === 1 ? '' : 's'} of step "${step.id}" go down the catch path of "${item.tryScope.step.id}".`,
            step,
            {
              payloadIdsIn: idsIn,
            },
          ),
        );
      }
      await recordFailure(run, item, startedAt, attempt, logs, caught);
      return {
        status: 'failure',
        error: `Step "${step.id}" failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${message}`,
        caught,
      };
    }
    // Attempt logs are written as they happen so a long backoff still shows progress.
    await run.journal.appendLogs(logs.splice(0));
    const backoffMs = run.retryBaseMs * 2 ** (attempt - 1);
    try {
      await run.services.sleep(backoffMs / 2 + Math.random() * (backoffMs / 2), run.signal);
    } catch {
      return 'interrupted';
    }
    return undefined;
  };

  for (let attempt = 1; ; attempt++) {
    const attemptStart = performance.now();
    const stepLogs: StepLog[] = [];
    let result: ShapeResult;
    try {
      result = await withTimeout(
        (signal) =>
          shape.execute(
            new StepContext(
              {
                step,
                config: step.config,
                run: run.run,
                variables: item.variables,
                attempt,
                itemKey: item.key,
                log: (entry) => stepLogs.push(entry),
                services: run.services,
              },
              signal,
            ),
            bucket,
          ),
        timeoutMs,
        step,
        run.signal,
      );
    } catch (err) {
      if (run.signal?.aborted) return 'interrupted';
      for (const l of stepLogs) logs.push(runLog(l.level, l.message, step, { attempt, data: l.data ?? null }));
      const failed = await attemptFailed(err, attempt, attemptStart);
      if (failed !== undefined) return failed;
      continue;
    }
    // The journal write stays outside the shape's try: a store that fails here is not a failed
    // attempt of the step (that would spend its retries, or record a delivered step as failed); it
    // ends this pass over the run, and the run resumes from its journal once the store is back.
    for (const l of stepLogs) logs.push(runLog(l.level, l.message, step, { attempt, data: l.data ?? null }));
    const outputs = resultOutputs(result);
    const variables = result.variables ? { ...item.variables, ...result.variables } : item.variables;
    const durationMs = Math.round(performance.now() - attemptStart);
    const finishedAt = run.services.now();
    const outCount = Object.values(outputs).reduce((n, b) => n + b.length, 0);
    const summary = runLog('info', `${step.name ?? step.id}: ${bucket.length} in, ${outCount} out.`, step, {
      attempt,
      durationMs,
      payloadIdsIn: idsIn,
    });
    logs.push(summary);
    try {
      await run.journal.recordStep({
        itemKey: item.key,
        stepId: step.id,
        status: 'success',
        outputs,
        variables,
        attempts: attempt,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        logs,
        outputsLogIndex: logs.length - 1,
        ...(isFinal?.(outputs) ? { final: true } : {}),
      });
    } catch (err) {
      // The journal refusing the step (a per-run cap) fails it like the shape would have; anything
      // else is the store failing, which is not the step's fault.
      if (!isAppError(err) || err.retryable) throw err;
      logs.pop();
      const failed = await attemptFailed(err, attempt, attemptStart);
      if (failed !== undefined) return failed;
      continue;
    }
    const outputIds: Record<string, string[]> = {};
    for (const [label, payloads] of Object.entries(outputs)) outputIds[label] = payloads.map((p) => p.id ?? '');
    return {
      status: 'success',
      entry: { itemKey: item.key, stepId: step.id, status: 'success', outputs: outputIds, variables, attempts: attempt },
      outputs,
    };
  }
}

/**
 * A failure is journalled with its catch bucket, if any, as its outputs: a resumed run then sends
 * the very same payloads down the catch path, and the last log entry lists their ids.
 */
async function recordFailure(
  run: ExecuteRunInput,
  item: WorkItem,
  startedAt: Date,
  attempts: number,
  logs: LogEntry[],
  caught: Payload[] = [],
): Promise<void> {
  await run.journal.recordStep({
    itemKey: item.key,
    stepId: item.step.id,
    status: 'failure',
    outputs: item.tryScope ? { [CATCH_LABEL]: caught } : {},
    variables: item.variables,
    attempts,
    startedAt: startedAt.toISOString(),
    finishedAt: run.services.now().toISOString(),
    logs,
    ...(item.tryScope ? { outputsLogIndex: logs.length - 1 } : {}),
  });
}

/** The failed step's input with meta `error` and `error_step`, when the step is inside a try scope. */
function catchBucket(item: WorkItem, bucket: Payload[], error: string): Payload[] {
  if (!item.tryScope) return [];
  const message = error.length > ERROR_META_MAX_CHARS ? `${error.slice(0, ERROR_META_MAX_CHARS)}…` : error;
  return bucket.map((p) => p.withMeta({ ...p.meta, error: message, error_step: item.step.id }));
}

function resultOutputs(result: ShapeResult): Record<string, Payload[]> {
  const outputs: Record<string, Payload[]> = { '': result.payloads };
  if (result.routes) for (const [label, bucket] of Object.entries(result.routes)) outputs[label] = bucket;
  return outputs;
}

function isIds(input: Payload[] | string[]): input is string[] {
  return typeof input[0] === 'string';
}

function runLog(level: LogEntry['level'], message: string, step: StepDefinition | null, extra: Partial<LogEntry> = {}): LogEntry {
  return {
    stepId: step?.id ?? null,
    stepName: step?.name ?? step?.id ?? null,
    level,
    message,
    attempt: null,
    durationMs: null,
    payloadIdsIn: [],
    payloadIdsOut: [],
    data: null,
    ...extra,
  };
}

/**
 * Runs one attempt under the step's time limit and the run's signal. The attempt's own
 * AbortSignal (aborted on timeout or when the run is given up) exists only if the shape asks for
 * it; the race ends the attempt either way, even for a shape that never listens.
 */
async function withTimeout<T>(
  fn: (signal: () => AbortSignal) => Promise<T>,
  timeoutMs: number,
  step: StepDefinition,
  outer?: AbortSignal,
): Promise<T> {
  let controller: AbortController | undefined;
  let ended: unknown;
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const signal = (): AbortSignal => {
    if (controller === undefined) {
      controller = new AbortController();
      if (ended !== undefined) controller.abort(ended);
    }
    return controller.signal;
  };
  const stopped = new Promise<never>((_, reject) => {
    // The worker giving the run up (shutdown, lost lease) ends the attempt at once; the step is
    // not journalled, so whoever resumes the run executes it again (at-least-once).
    onOuterAbort = () => {
      ended = outer?.reason;
      controller?.abort(outer?.reason);
      reject(new Error('run interrupted'));
    };
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    timer = setTimeout(() => {
      const err = new AppError('STEP_TIMEOUT', `Step "${step.id}" took longer than its limit of ${Math.round(timeoutMs / 1000)} s.`);
      ended = err;
      controller?.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (onOuterAbort !== undefined) outer?.removeEventListener('abort', onOuterAbort);
  }
}
