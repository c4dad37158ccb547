import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createHttpClient, type EngineServices, shapeRegistry } from '@weft/engine';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createAuthService } from './auth/service.js';
import type { Config } from './config/index.js';
import { loadCredentialCipher } from './crypto/credentials.js';
import { createDatabaseClient } from './database/database-client.js';
import { createEmailSender } from './notifications/email-sender.js';
import { sendRunFailureEmails } from './notifications/failure-emails.js';
import { createMailer } from './notifications/mailer.js';
import { createMetrics } from './observability/metrics.js';
import { openOperations } from './operations.js';
import { BullMqQueue } from './queue/bullmq/bullmq-queue.js';
import { LocalQueue } from './queue/local/local-queue.js';
import type { Queue } from './queue/types.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import { createPostgresStore, createSqliteStore } from './store/index.js';
import { createThreadedSqliteStore } from './store/threaded/threaded-store.js';
import type { Run, Store } from './store/types.js';
import { createEventConsumers, type EventConsumers } from './triggers/event-consumers.js';
import { createChildRuns } from './worker/child-runs.js';
import { createLookupTableSource, createScriptSource } from './worker/company-resources.js';
import { createConnectorResolver } from './worker/connector-resolver.js';
import { createDataPorts } from './worker/data-ports.js';
import { RunEvents } from './worker/run-events.js';
import { createWorker, type Worker } from './worker/worker.js';

export interface System {
  app: FastifyInstance;
  store: Store;
  worker: Worker | undefined;
  scheduler: Scheduler | undefined;
  /** RabbitMQ consumers of flows with an event trigger; they run where the scheduler runs. */
  eventConsumers: EventConsumers | undefined;
  close(): Promise<void>;
}

export interface SystemOptions {
  /** Run the worker in this process (weft start). Default true. */
  worker?: boolean;
  /** Fire cron schedules in this process. Default: where the worker runs. */
  scheduler?: boolean;
  /** Where JSON log lines go (tests read them); stdout by default. */
  logStream?: import('pino').DestinationStream;
}

/** Opens the configured store: PostgreSQL when WEFT_DATABASE_URL names one, else SQLite under the data dir (in a thread of its own with WEFT_STORE_THREAD=on). */
export function openStore(config: Config): Store {
  if (config.databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    return createPostgresStore({ connectionString: config.databaseUrl, schema: config.databaseSchema, poolSize: config.databasePoolSize });
  }
  const options = { file: path.join(config.dataDir, 'weft.db'), payloadDir: path.join(config.dataDir, 'payloads') };
  return config.storeThread ? createThreadedSqliteStore(options) : createSqliteStore(options);
}

/** Opens the configured queue: BullMQ on Redis when WEFT_REDIS_URL is set, else the in-process queue. */
export function openQueue(config: Config): Queue {
  if (config.redisUrl === undefined) return new LocalQueue();
  return new BullMqQueue({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    companyConcurrency: config.companyConcurrency,
    // A dead worker's job comes back about when its run's lease runs out.
    lockMs: config.leaseMs,
    log: (msg, extra) => console.warn(`weft: ${msg}`, extra?.err ?? ''),
  });
}

/** Builds the embedded system: SQLite store, in-process queue, worker and HTTP app, wired together. */
export async function createSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  await store.migrate();
  const queue = openQueue(config);
  const events = new RunEvents();
  const auth = await createAuthService(store, config);
  const http = createHttpClient({ allow: config.egressAllow });
  const databases = createDatabaseClient({ allow: config.egressAllow });
  const services: EngineServices = {
    http,
    connectors: createConnectorResolver({ store, cipher: await loadCredentialCipher(store, config) }),
    scripts: createScriptSource(store),
    lookupTables: createLookupTableSource(store),
    databases,
    ...createDataPorts({ store }),
    now: () => new Date(),
    sleep: (ms, signal) => delay(ms, undefined, { signal }),
  };
  // notify email and run-failure emails need SMTP settings; without them there is no email at all.
  const mailer = config.smtpUrl === undefined ? undefined : createMailer({ url: config.smtpUrl, from: config.smtpFrom });
  if (mailer !== undefined) services.email = createEmailSender(store, mailer);
  services.childRuns = createChildRuns({ store, queue });
  const afterFinish = (run: Run, outcome: { status: Run['status']; error?: string }): Promise<void> =>
    outcome.status !== 'failure'
      ? Promise.resolve()
      : sendRunFailureEmails({ store, mailer, log: (msg, extra) => app.log.warn(extra ?? {}, msg) }, run, outcome.error);
  const metrics = createMetrics({ events, queue });
  const ops = openOperations(config, store, { retention: options.worker !== false, metrics, logStream: options.logStream });
  const worker =
    options.worker === false
      ? undefined
      : createWorker({
          store,
          queue,
          events,
          services,
          shapes: shapeRegistry(),
          config,
          afterFinish,
          tracing: ops.tracing,
          logger: ops.logger?.child({ component: 'worker' }),
        });
  const app = await buildApp(config, { store, queue, auth, events, metrics, limits: ops.limits, logger: ops.logger, tracing: ops.tracing });
  await worker?.start();
  ops.retention?.start();
  const scheduler =
    (options.scheduler ?? options.worker !== false)
      ? createScheduler({ store, queue, log: (msg, extra) => app.log.warn(extra ?? {}, `scheduler: ${msg}`) })
      : undefined;
  scheduler?.start();
  const eventConsumers =
    scheduler === undefined
      ? undefined
      : createEventConsumers({
          store,
          queue,
          cipher: await loadCredentialCipher(store, config),
          egressAllow: config.egressAllow,
          log: (msg, extra) => app.log.warn(extra ?? {}, `event triggers: ${msg}`),
          ...(ops.limits === undefined ? {} : { admit: (companyId: string) => ops.limits?.checkStart(companyId) }),
        });
  eventConsumers?.start();
  let closed = false;
  return {
    app,
    store,
    worker,
    scheduler,
    eventConsumers,
    async close() {
      if (closed) return;
      closed = true;
      await scheduler?.stop();
      await eventConsumers?.stop();
      await app.close();
      await worker?.stop();
      await ops.close();
      await queue.close();
      mailer?.close();
      await http.close();
      await databases.close();
      await store.close();
    },
  };
}
