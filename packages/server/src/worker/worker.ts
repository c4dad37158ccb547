import { setMaxListeners } from 'node:events';
import { type EngineServices, executeRun, type LogEntry, Payload, type RunJournalPort, type Shape, type StepWrite } from '@weft/engine';
import { type FlowDefinition, validateDefinition } from '@weft/schema';
import type { Config } from '../config/index.js';
import type { Tracing } from '../observability/tracing.js';
import { tracedHttpClient } from '../observability/tracing.js';
import type { Queue, QueueJob } from '../queue/types.js';
import type { Run, RunLogInput, Store } from '../store/types.js';
import { cappedHttpClient, payloadBudget } from './run-caps.js';
import type { RunEvents } from './run-events.js';

export interface WorkerDeps {
  store: Store;
  queue: Queue & { holds?(runId: string): boolean };
  events: RunEvents;
  services: EngineServices;
  shapes: ReadonlyMap<string, Shape<any>>;
  config: Config;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** Called once per run this worker finished (finishRun took), e.g. to email a failure; must not throw. */
  afterFinish?: (run: Run, outcome: { status: Run['status']; error?: string }) => Promise<void>;
  /** Traces runs, their steps and outbound calls when set (WEFT_OTEL_EXPORTER_OTLP_ENDPOINT). */
  tracing?: Tracing;
  /** Structured log lines about runs, each with its runId (pino). */
  logger?: { info(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface Worker {
  start(): Promise<void>;
  /** Enqueues runs the store says need a worker but the queue does not hold (crash, lost job). */
  reconcile(): Promise<number>;
  /** Stops taking work; in-flight runs are interrupted at the next step boundary and their leases released. */
  stop(): Promise<void>;
}

/**
 * Advances runs: claims a run's lease, executes its version with the engine, journals through
 * the store and sets the final status. Holding the lease is what makes a run "ours"; a worker
 * that dies simply stops renewing it and another one resumes the run from its journal.
 */
export function createWorker(deps: WorkerDeps): Worker {
  const { store, queue, config, events } = deps;
  const owner = `worker-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const shutdown = new AbortController();
  // Every in-flight run listens for shutdown; more runs than Node's default of 10 is normal.
  setMaxListeners(0, shutdown.signal);
  const validated = new Map<string, string | null>();
  const versions = new Map<string, LoadedVersion>();
  let reconcileTimer: NodeJS.Timeout | undefined;

  async function handle(job: QueueJob): Promise<void> {
    if (shutdown.signal.aborted) return;
    const run = await store.claimRun(job.runId, owner, config.leaseMs);
    if (!run) return;
    const lost = new AbortController();
    /** Set when a step gives the run back to be resumed later (a run_flow step waiting for its children). */
    let resumeAfterMs: number | undefined;
    const suspend = (afterMs: number) => {
      resumeAfterMs = afterMs;
      lost.abort();
    };
    const onShutdown = () => lost.abort();
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const renew = setInterval(
      () => {
        store.renewLease(run.id, owner, config.leaseMs).then(
          (ok) => {
            if (!ok) lost.abort();
          },
          () => {},
        );
      },
      Math.max(50, Math.floor(config.leaseMs / 3)),
    );
    const stopSignal = { requested: false };
    /** How the run ends: replaced by the journal's, which commits a held-back last step with it. */
    const ending = { finish: (outcome: RunEnd) => store.finishRun(run.id, owner, outcome) };
    const stopListener = events.onStopRequested(run.id, () => {
      stopSignal.requested = true;
    });
    try {
      events.publish({ type: 'status', runId: run.id, data: { status: 'running' } });
      deps.logger?.debug({ runId: run.id, companyId: run.companyId, flowId: run.flowId, attempt: run.attempts }, 'run claimed');
      const outcome = await traced(job, run, () => advance(run, lost.signal, stopSignal, suspend, ending));
      if (outcome === 'interrupted') {
        if (shutdown.signal.aborted || resumeAfterMs !== undefined) await store.releaseRun(run.id, owner).catch(() => {});
        if (resumeAfterMs !== undefined && !shutdown.signal.aborted) resumeLater(job, resumeAfterMs);
        return;
      }
      const finished = await ending.finish(outcome);
      if (finished) events.publish({ type: 'status', runId: run.id, data: { status: outcome.status, error: outcome.error ?? null } });
      if (finished && deps.afterFinish) void deps.afterFinish(run, outcome).catch(() => {});
      deps.logger?.info({ runId: run.id, companyId: run.companyId, flowId: run.flowId, status: outcome.status }, 'run finished');
    } finally {
      stopListener();
      clearInterval(renew);
      shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  async function advance(
    run: Run,
    signal: AbortSignal,
    stopSignal: { requested: boolean },
    suspend: (afterMs: number) => void,
    ending: { finish: (outcome: RunEnd) => Promise<boolean> },
  ): Promise<'interrupted' | RunEnd> {
    const version = await loadVersion(run);
    if (!version) return { status: 'failure', error: 'The flow version no longer exists.' };
    if (version.problem) {
      await store.appendLogs(run.id, [log('error', version.problem)]);
      return { status: 'failure', error: version.problem };
    }
    const [stored] = run.inputPayloadId ? await store.loadPayloads(run.id, [run.inputPayloadId]) : [];
    const input = stored ? Payload.fromBytes(stored.body, stored.format, stored.meta, stored.id) : Payload.empty();
    const journal = journalPort(run, version.definition, stopSignal);
    ending.finish = journal.finish;
    const outcome = await executeRun({
      run: {
        id: run.id,
        companyId: run.companyId,
        flowId: run.flowId,
        versionId: run.versionId,
        trigger: run.trigger,
        queuedAt: run.queuedAt,
      },
      definition: version.definition,
      input,
      variables: { ...(version.definition.variables ?? {}), ...run.variables },
      journal,
      services: runServices(suspend),
      shapes: deps.shapes,
      retryBaseMs: config.retryBaseMs,
      signal,
      maxSteps: config.runMaxSteps,
    });
    if (outcome.status === 'interrupted') return 'interrupted';
    if (outcome.status === 'failure') return { status: 'failure', error: outcome.error };
    // A partial success keeps the caught failure as its summary; the run log lists the payloads sent down the catch path.
    if (outcome.status === 'partial_success' && outcome.error !== undefined) return { status: outcome.status, error: outcome.error };
    return { status: outcome.status };
  }

  /**
   * The version's definition and whether it is valid. Drafts can be run, so a definition is checked
   * when a run starts. A version that is no longer a draft never changes (updateDraft refuses it),
   * so its parsed and checked definition is kept and later runs of it skip the read; drafts are
   * read each time and checked once per change.
   */
  async function loadVersion(run: Run): Promise<LoadedVersion | undefined> {
    const kept = versions.get(run.versionId);
    if (kept !== undefined && kept.companyId === run.companyId) return kept;
    const version = await store.getVersion(run.companyId, run.versionId);
    if (!version) return undefined;
    const loaded: LoadedVersion = {
      companyId: version.companyId,
      definition: version.definition,
      problem: definitionProblem(`${version.id}@${version.updatedAt}`, version.definition),
    };
    if (version.status !== 'draft') {
      if (versions.size >= VERSION_CACHE_MAX) versions.delete(versions.keys().next().value as string);
      versions.set(version.id, loaded);
    }
    return loaded;
  }

  function definitionProblem(key: string, definition: FlowDefinition): string | null {
    let problem = validated.get(key);
    if (problem === undefined) {
      const errors = validateDefinition(definition);
      const entries = Object.entries(errors);
      problem =
        entries.length === 0
          ? null
          : `The flow definition is invalid: ${entries.map(([path, msgs]) => `${path} ${msgs.join(', ')}`).join('; ')}`;
      if (validated.size > 10_000) validated.clear();
      validated.set(key, problem);
    }
    return problem;
  }

  /** The services one run sees: its own count of outbound requests, spans when tracing. */
  function runServices(suspend: (afterMs: number) => void): EngineServices {
    const http = cappedHttpClient(deps.services.http, config.runMaxOutboundRequests);
    if (deps.tracing === undefined) return { ...deps.services, http, suspendRun: suspend };
    return { ...deps.services, http: tracedHttpClient(http, deps.tracing), tracer: deps.tracing.tracer, suspendRun: suspend };
  }

  /**
   * A suspended run is queued again (released above); the reconciler would find it within half a
   * lease anyway, this only makes the next look come when the step asked for it.
   */
  function resumeLater(job: QueueJob, afterMs: number): void {
    const timer = setTimeout(() => {
      if (shutdown.signal.aborted) return;
      queue
        .enqueue(job)
        .catch((err: unknown) => deps.log?.('enqueue of a suspended run failed; the reconciler will pick it up', { err: String(err) }));
    }, afterMs);
    timer.unref();
  }

  /** fn inside a span for the run, continuing the trace of the request that started it. */
  async function traced<T>(job: QueueJob, run: Run, fn: () => Promise<T>): Promise<T> {
    const tracing = deps.tracing;
    if (tracing === undefined) return fn();
    const parent = tracing.extract(job.traceparent);
    return tracing.tracer.startActiveSpan(
      'run',
      { attributes: { 'weft.run.id': run.id, 'weft.flow.id': run.flowId, 'weft.company.id': run.companyId } },
      parent,
      async (span) => {
        try {
          const outcome = await fn();
          if (typeof outcome === 'object' && outcome !== null && (outcome as { status?: string }).status === 'failure')
            span.setStatus({ code: 2 });
          return outcome;
        } finally {
          span.end();
        }
      },
    );
  }

  function journalPort(
    run: Run,
    definition: FlowDefinition,
    stopSignal: { requested: boolean },
  ): RunJournalPort & { finish(outcome: RunEnd): Promise<boolean> } {
    const triggerIds = new Set(definition.steps.filter((step) => step.shape === 'trigger').map((step) => step.id));
    // The claim just read the run: on its first claim nothing can be journalled yet, and the
    // stop flag is as fresh as it gets for the first step boundary.
    const firstClaim = run.attempts === 1;
    let stopKnownFresh = true;
    let stopCheckedAt = performance.now();
    /**
     * A trigger step's record, held back until the next write of this run so both commit in one
     * transaction. Safe because the trigger has no effect and no clock or random input: its
     * output is the run's stored input payload, so a crash before the record is written only
     * means the resumed run executes the trigger again and gets the same result.
     */
    let heldBack: StepWrite | undefined;
    /**
     * The run's last step (the engine marks it final), held back to commit in one transaction with
     * the run's end. A crash before that commit resumes the run at this step, as a crash just
     * before an ordinary step's record would (at-least-once).
     */
    let finalWrite: StepWrite | undefined;
    const budget = payloadBudget(config.runMaxPayloadBytes);

    const toStoreWrite = (write: StepWrite) => {
      const outputs: Record<string, Array<{ id?: string; format: Payload['format']; meta: Record<string, string>; body: Buffer }>> = {};
      for (const [label, payloads] of Object.entries(write.outputs)) {
        outputs[label] = payloads.map((p) =>
          p.id ? { id: p.id, format: p.format, meta: p.meta, body: EMPTY } : { format: p.format, meta: p.meta, body: p.bytes() },
        );
      }
      return { ...write, outputs, logs: write.logs as RunLogInput[] };
    };
    const publishLogs = (logs: readonly LogEntry[]) => {
      for (const l of logs)
        events.publish({
          type: 'log',
          runId: run.id,
          data: { step_id: l.stepId, level: l.level, message: l.message, duration_ms: l.durationMs, data: l.data },
        });
    };
    /** Submits the held-back record (if any) in this turn, so it joins the caller's transaction ahead of its write. */
    const releaseHeldBack = (): Promise<unknown> | undefined => {
      const write = heldBack;
      if (write === undefined) return undefined;
      heldBack = undefined;
      return store.recordStep(run.id, run.companyId, toStoreWrite(write)).then(() => publishLogs(write.logs));
    };
    const canHoldBack = (write: StepWrite) =>
      write.status === 'success' &&
      triggerIds.has(write.stepId) &&
      Object.values(write.outputs).every((payloads) => payloads.every((p) => p.id !== undefined));

    return {
      load: async () => (firstClaim ? [] : store.loadJournal(run.id)),
      loadPayloads: async (ids) => (await store.loadPayloads(run.id, ids)).map((p) => Payload.fromBytes(p.body, p.format, p.meta, p.id)),
      recordStep: async (write) => {
        if (write.status === 'success') {
          let bytes = 0;
          for (const payloads of Object.values(write.outputs)) for (const p of payloads) if (p.id === undefined) bytes += p.bytes().length;
          budget.add(bytes);
        }
        if (write.final === true && write.status === 'success') {
          finalWrite = write;
          return;
        }
        if (heldBack === undefined && canHoldBack(write)) {
          // Microseconds after the claim: the claim's stop flag still answers the next boundary.
          heldBack = write;
          return;
        }
        stopKnownFresh = false;
        const earlier = releaseHeldBack();
        const recorded = store.recordStep(run.id, run.companyId, toStoreWrite(write));
        if (earlier !== undefined) await Promise.all([earlier, recorded]);
        const ids = await recorded;
        for (const [label, payloads] of Object.entries(write.outputs)) {
          const labelIds = ids[label] ?? [];
          payloads.forEach((p, i) => {
            p.id = labelIds[i];
          });
        }
        publishLogs(write.logs);
      },
      appendLogs: async (logs) => {
        const earlier = releaseHeldBack();
        const appended = store.appendLogs(run.id, logs as RunLogInput[]);
        if (earlier !== undefined) await Promise.all([earlier, appended]);
        await appended;
        publishLogs(logs);
      },
      shouldStop: async () => {
        if (stopSignal.requested) return true;
        if (stopKnownFresh) {
          stopKnownFresh = false;
          return run.stopRequested;
        }
        // A stop asked for through this process arrives as stopSignal at once; the store is read
        // for one asked for elsewhere (another process, the CLI), at most every STOP_CHECK_MS.
        const at = performance.now();
        if (at - stopCheckedAt < STOP_CHECK_MS) return false;
        stopCheckedAt = at;
        return (await store.getRun(run.companyId, run.id))?.stopRequested ?? false;
      },
      finish: async (outcome) => {
        // A trigger record still held back goes in the same turn as the run's end, so both join one
        // group commit, as recordStep sends it with the next step.
        const earlier = releaseHeldBack();
        const write = finalWrite;
        finalWrite = undefined;
        const ended =
          write === undefined
            ? store.finishRun(run.id, owner, outcome)
            : store.recordFinalStep(run.id, run.companyId, toStoreWrite(write), owner, outcome).then((r) => r.finished);
        if (earlier !== undefined) await Promise.all([earlier, ended]);
        const finished = await ended;
        if (write !== undefined) publishLogs(write.logs);
        return finished;
      },
    };
  }

  async function reconcile(): Promise<number> {
    const runnable = await store.listRunnable(1000);
    let added = 0;
    for (const run of runnable) {
      if (queue.holds?.(run.id)) continue;
      await queue.enqueue({
        runId: run.id,
        companyId: run.companyId,
        priority: run.priority,
        expedite: run.expedite,
        queuedAt: run.queuedAt,
      });
      added++;
    }
    return added;
  }

  return {
    async start() {
      queue.consume(handle, { concurrency: config.workerConcurrency, companyConcurrency: config.companyConcurrency });
      await reconcile();
      reconcileTimer = setInterval(
        () => {
          reconcile().catch((err) => deps.log?.('reconcile failed', { err: String(err) }));
        },
        Math.max(100, Math.floor(config.leaseMs / 2)),
      );
      reconcileTimer.unref();
    },
    reconcile,
    async stop() {
      clearInterval(reconcileTimer);
      shutdown.abort();
      await queue.close();
    },
  };
}

const EMPTY = Buffer.alloc(0);

/** How often a run re-reads its stop flag from the store (a stop asked through this process is seen at once). */
const STOP_CHECK_MS = 250;

/** Deployed and inactive versions kept by the worker (their definitions never change). */
const VERSION_CACHE_MAX = 1000;

/** A run's terminal status as the worker sets it. */
type RunEnd = { status: Run['status']; error?: string };

interface LoadedVersion {
  companyId: string;
  definition: FlowDefinition;
  /** Why the definition cannot run, or null when it validates. */
  problem: string | null;
}

function log(level: RunLogInput['level'], message: string): RunLogInput {
  return { stepId: null, stepName: null, level, message, attempt: null, durationMs: null, payloadIdsIn: [], payloadIdsOut: [], data: null };
}
