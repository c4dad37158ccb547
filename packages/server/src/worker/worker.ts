import { setMaxListeners } from 'node:events';
import { type EngineServices, executeRun, Payload, type RunJournalPort, type Shape } from '@weft/engine';
import { type FlowDefinition, validateDefinition } from '@weft/schema';
import type { Config } from '../config/index.js';
import type { Queue, QueueJob } from '../queue/types.js';
import type { Run, RunLogInput, Store } from '../store/types.js';
import type { RunEvents } from './run-events.js';

export interface WorkerDeps {
  store: Store;
  queue: Queue & { holds?(runId: string): boolean };
  events: RunEvents;
  services: EngineServices;
  shapes: ReadonlyMap<string, Shape<any>>;
  config: Config;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
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
  let reconcileTimer: NodeJS.Timeout | undefined;

  async function handle(job: QueueJob): Promise<void> {
    if (shutdown.signal.aborted) return;
    const run = await store.claimRun(job.runId, owner, config.leaseMs);
    if (!run) return;
    const lost = new AbortController();
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
    try {
      events.publish({ type: 'status', runId: run.id, data: { status: 'running' } });
      const outcome = await advance(run, lost.signal);
      if (outcome === 'interrupted') {
        if (shutdown.signal.aborted) await store.releaseRun(run.id, owner).catch(() => {});
        return;
      }
      const finished = await store.finishRun(run.id, owner, outcome);
      if (finished) events.publish({ type: 'status', runId: run.id, data: { status: outcome.status, error: outcome.error ?? null } });
    } finally {
      clearInterval(renew);
      shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  async function advance(run: Run, signal: AbortSignal): Promise<'interrupted' | { status: Run['status']; error?: string }> {
    const version = await store.getVersion(run.companyId, run.versionId);
    if (!version) return { status: 'failure', error: 'The flow version no longer exists.' };
    const problem = definitionProblem(version.id, version.definition);
    if (problem) {
      await store.appendLogs(run.id, [log('error', problem)]);
      return { status: 'failure', error: problem };
    }
    const [stored] = run.inputPayloadId ? await store.loadPayloads(run.id, [run.inputPayloadId]) : [];
    const input = stored ? Payload.fromBytes(stored.body, stored.format, stored.meta, stored.id) : Payload.empty();
    const journal = journalPort(run);
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
      services: deps.services,
      shapes: deps.shapes,
      retryBaseMs: config.retryBaseMs,
      signal,
    });
    if (outcome.status === 'interrupted') return 'interrupted';
    if (outcome.status === 'failure') return { status: 'failure', error: outcome.error };
    return { status: outcome.status };
  }

  /** Drafts can be run, so a definition is checked when a run starts; results are cached per version. */
  function definitionProblem(versionId: string, definition: FlowDefinition): string | null {
    let problem = validated.get(versionId);
    if (problem === undefined) {
      const errors = validateDefinition(definition);
      const entries = Object.entries(errors);
      problem =
        entries.length === 0
          ? null
          : `The flow definition is invalid: ${entries.map(([path, msgs]) => `${path} ${msgs.join(', ')}`).join('; ')}`;
      if (validated.size > 10_000) validated.clear();
      validated.set(versionId, problem);
    }
    return problem;
  }

  function journalPort(run: Run): RunJournalPort {
    return {
      load: () => store.loadJournal(run.id),
      loadPayloads: async (ids) => (await store.loadPayloads(run.id, ids)).map((p) => Payload.fromBytes(p.body, p.format, p.meta, p.id)),
      recordStep: async (write) => {
        const outputs: Record<string, Array<{ id?: string; format: Payload['format']; meta: Record<string, string>; body: Buffer }>> = {};
        for (const [label, payloads] of Object.entries(write.outputs)) {
          outputs[label] = payloads.map((p) =>
            p.id
              ? { id: p.id, format: p.format, meta: p.meta, body: Buffer.alloc(0) }
              : { format: p.format, meta: p.meta, body: p.bytes() },
          );
        }
        const ids = await store.recordStep(run.id, run.companyId, { ...write, outputs, logs: write.logs as RunLogInput[] });
        for (const [label, payloads] of Object.entries(write.outputs)) {
          const labelIds = ids[label] ?? [];
          payloads.forEach((p, i) => {
            p.id = labelIds[i];
          });
        }
        for (const l of write.logs)
          events.publish({ type: 'log', runId: run.id, data: { step_id: l.stepId, level: l.level, message: l.message } });
      },
      appendLogs: async (logs) => {
        await store.appendLogs(run.id, logs as RunLogInput[]);
        for (const l of logs)
          events.publish({ type: 'log', runId: run.id, data: { step_id: l.stepId, level: l.level, message: l.message } });
      },
      shouldStop: async () => (await store.getRun(run.companyId, run.id))?.stopRequested ?? false,
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

function log(level: RunLogInput['level'], message: string): RunLogInput {
  return { stepId: null, stepName: null, level, message, attempt: null, durationMs: null, payloadIdsIn: [], payloadIdsOut: [], data: null };
}
