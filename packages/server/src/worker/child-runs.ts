import { type ChildRun, type ChildRuns, Payload } from '@weft/engine';
import { AppError } from '@weft/schema';
import type { Queue } from '../queue/types.js';
import type { Run, Store } from '../store/types.js';
import { resolveFlowReference } from './flow-reference.js';

/** How many runs deep a chain of run_flow steps may go (parent → child → grandchild …). */
export const RUN_FLOW_MAX_DEPTH = 8;

export interface ChildRunsDeps {
  store: Store;
  queue: Queue;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

function childOf(run: Run): ChildRun {
  return { id: run.id, flowId: run.flowId, status: run.status, error: run.error, queuedAt: run.queuedAt };
}

/**
 * The engine's ChildRuns port. A child is created exactly as the start API creates a run (one
 * transaction with its input payload and idempotency record, then the queue is told; the
 * reconciler covers a lost enqueue), with trigger `shape` and its parent linked. The idempotency
 * key the step derives makes a resumed parent find its first children instead of making new ones.
 */
export function createChildRuns({ store, queue, log }: ChildRunsDeps): ChildRuns {
  /** The flows of the parent and its ancestors, nearest first; refuses a chain deeper than the limit. */
  async function ancestry(companyId: string, parentRunId: string): Promise<string[]> {
    const flows: string[] = [];
    let at: string | null = parentRunId;
    while (at !== null) {
      const run: Run | undefined = await store.getRun(companyId, at);
      if (!run) break;
      flows.push(run.flowId);
      if (flows.length >= RUN_FLOW_MAX_DEPTH) {
        throw new AppError(
          'RUN_FLOW_CYCLE',
          `run_flow: this run is ${flows.length} levels of run_flow deep already, the limit; a flow probably starts itself through others.`,
          { retryable: false },
        );
      }
      at = run.parentRunId;
    }
    return flows;
  }

  return {
    async start(input) {
      const companyId = input.parent.companyId;
      const found = await resolveFlowReference(store, companyId, input.flow);
      if ('problem' in found) throw new AppError('NOT_FOUND', `run_flow: ${found.problem}.`, { retryable: false });
      const { flow } = found;
      const ancestors = await ancestry(companyId, input.parent.id);
      if (flow.id === input.parent.flowId || ancestors.includes(flow.id)) {
        throw new AppError(
          'RUN_FLOW_CYCLE',
          `run_flow: flow "${flow.name}" is this run's own flow or started it; a flow may not start itself, directly or through others.`,
          { retryable: false },
        );
      }
      if (!flow.enabled)
        throw new AppError('FLOW_DISABLED', `run_flow: flow "${flow.name}" is disabled; enable it to start it from another flow.`, {
          retryable: false,
        });
      let versionId: string;
      if (input.version === undefined) {
        if (!flow.deployedVersionId)
          throw new AppError('NO_DEPLOYED_VERSION', `run_flow: flow "${flow.name}" has no deployed version; deploy one or set version.`, {
            retryable: false,
          });
        versionId = flow.deployedVersionId;
      } else {
        const version = (await store.listVersions(companyId, flow.id)).find((v) => v.number === input.version);
        if (!version)
          throw new AppError('NOT_FOUND', `run_flow: flow "${flow.name}" has no version ${input.version}.`, { retryable: false });
        versionId = version.id;
      }
      const { run } = await store.createRun(companyId, {
        flowId: flow.id,
        versionId,
        trigger: 'shape',
        priority: flow.priority,
        // The parent has been through the queue already; its children are part of that work.
        expedite: true,
        input: input.payload,
        parentRunId: input.parent.id,
        // The key is the request: replaying it always answers the first child, whatever changed since.
        idempotency: { key: input.idempotencyKey, requestHash: input.idempotencyKey },
      });
      if (run.status === 'queued') {
        queue
          .enqueue({ runId: run.id, companyId: run.companyId, priority: run.priority, expedite: run.expedite, queuedAt: run.queuedAt })
          .catch((err: unknown) =>
            log?.('enqueue of a child run failed; the reconciler will pick it up', { runId: run.id, err: String(err) }),
          );
      }
      return childOf(run);
    },

    async children(parent) {
      return (await store.listChildRuns(parent.companyId, parent.id)).map(childOf);
    },

    async outputs(companyId, runId) {
      const run = await store.getRun(companyId, runId);
      if (!run) throw new AppError('NOT_FOUND', `run_flow: the child run ${runId} does not exist.`, { retryable: false });
      const version = await store.getVersion(companyId, run.versionId);
      if (!version) return [];
      const withEdges = new Set(version.definition.edges.map((e) => e.from));
      const leaves = new Set(version.definition.steps.filter((s) => !withEdges.has(s.id)).map((s) => s.id));
      const ids: string[] = [];
      for (const record of await store.loadJournal(runId)) {
        if (record.status !== 'success' || !leaves.has(record.stepId)) continue;
        for (const list of Object.values(record.outputs)) ids.push(...list);
      }
      if (ids.length === 0) return [];
      return (await store.loadPayloads(runId, ids)).map((p) => Payload.fromBytes(p.body, p.format, p.meta, p.id));
    },
  };
}
