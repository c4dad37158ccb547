import { EventEmitter } from 'node:events';

export interface RunEvent {
  type: 'status' | 'log';
  runId: string;
  data: Record<string, unknown>;
}

/**
 * Live run events for server-sent events. In one process an EventEmitter is enough; the
 * distributed mode will publish the same events through Redis.
 */
export class RunEvents {
  readonly #emitter = new EventEmitter();
  readonly #stops = new Map<string, () => void>();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  readonly #all = new Set<(event: RunEvent) => void>();

  publish(event: RunEvent): void {
    for (const listener of this.#all) listener(event);
    if (this.#emitter.listenerCount(event.runId) > 0) this.#emitter.emit(event.runId, event);
  }

  /** Every event of every run (metrics). */
  subscribeAll(listener: (event: RunEvent) => void): () => void {
    this.#all.add(listener);
    return () => this.#all.delete(listener);
  }

  /**
   * Tells this process's worker that a stop was requested for the run (after the store recorded
   * it), so the run stops at its next step boundary without reading the store at every boundary.
   */
  requestStop(runId: string): void {
    this.#stops.get(runId)?.();
  }

  /** The worker's side of requestStop: one listener per run it is advancing. */
  onStopRequested(runId: string, listener: () => void): () => void {
    this.#stops.set(runId, listener);
    return () => {
      if (this.#stops.get(runId) === listener) this.#stops.delete(runId);
    };
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    this.#emitter.on(runId, listener);
    return () => this.#emitter.off(runId, listener);
  }
}
