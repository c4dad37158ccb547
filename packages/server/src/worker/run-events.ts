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

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(event: RunEvent): void {
    if (this.#emitter.listenerCount(event.runId) > 0) this.#emitter.emit(event.runId, event);
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    this.#emitter.on(runId, listener);
    return () => this.#emitter.off(runId, listener);
  }
}
