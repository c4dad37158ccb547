import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createHttpClient, type EngineServices, shapeRegistry } from '@weft/engine';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createAuthService } from './auth/service.js';
import type { Config } from './config/index.js';
import { LocalQueue } from './queue/local/local-queue.js';
import { createSqliteStore } from './store/index.js';
import type { Store } from './store/types.js';
import { RunEvents } from './worker/run-events.js';
import { createWorker, type Worker } from './worker/worker.js';

export interface System {
  app: FastifyInstance;
  store: Store;
  worker: Worker | undefined;
  close(): Promise<void>;
}

export interface SystemOptions {
  /** Run the worker in this process (weft start). Default true. */
  worker?: boolean;
}

/** Opens the configured store (SQLite under the data dir; PostgreSQL comes with the distributed mode). */
export function openStore(config: Config): Store {
  return createSqliteStore({ file: path.join(config.dataDir, 'weft.db'), payloadDir: path.join(config.dataDir, 'payloads') });
}

/** Builds the embedded system: SQLite store, in-process queue, worker and HTTP app, wired together. */
export async function createSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  await store.migrate();
  const queue = new LocalQueue();
  const events = new RunEvents();
  const auth = await createAuthService(store, config);
  const http = createHttpClient({ allow: config.egressAllow });
  const services: EngineServices = {
    http,
    now: () => new Date(),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      }),
  };
  const worker = options.worker === false ? undefined : createWorker({ store, queue, events, services, shapes: shapeRegistry(), config });
  const app = await buildApp(config, { store, queue, auth, events });
  await worker?.start();
  let closed = false;
  return {
    app,
    store,
    worker,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await worker?.stop();
      await queue.close();
      await http.close();
      await store.close();
    },
  };
}
