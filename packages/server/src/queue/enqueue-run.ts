import type { Run } from '../store/types.js';
import type { Queue } from './types.js';

/**
 * Tells the queue about a run the store has committed, with the W3C trace context of the request
 * that started it. Not awaited by the caller and never throwing: a lost notice loses nothing, the
 * worker's reconciler finds the run in the store.
 */
export function enqueueRun(queue: Queue, run: Run, traceparent: string | undefined, warn: (obj: object, msg: string) => void): void {
  const job = { runId: run.id, companyId: run.companyId, priority: run.priority, expedite: run.expedite, queuedAt: run.queuedAt };
  queue.enqueue(traceparent === undefined ? job : { ...job, traceparent }).catch((err: unknown) => {
    warn({ err, runId: run.id }, 'enqueue failed; the reconciler will pick the run up');
  });
}
