import type { DestinationStream, Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Config } from './config/index.js';
import { createLimits, type Limits } from './limits/limits.js';
import { MemoryRateLimiter, RedisRateLimiter } from './limits/rate-limiter.js';
import { createLogger } from './observability/logger.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { createRetention, type Retention } from './retention/retention.js';
import type { Store } from './store/types.js';

/** The operational parts of a process: its logger, traces, admission limits and retention. */
export interface Operations {
  logger: Logger | undefined;
  tracing: Tracing | undefined;
  limits: Limits;
  /** Present where the worker runs; start() is the caller's. */
  retention: Retention | undefined;
  /** Adds this part's counters to the process's Prometheus registry. */
  attachMetrics(registry: Registry): void;
  close(): Promise<void>;
}

export function openOperations(config: Config, store: Store, options: { retention: boolean; logStream?: DestinationStream }): Operations {
  const logger = config.logLevel === 'silent' && options.logStream === undefined ? undefined : createLogger(config, options.logStream);
  const tracing = config.otelEndpoint === undefined ? undefined : createTracing({ endpoint: config.otelEndpoint });
  // With Redis every API process draws on one allowance; without it, embedded mode, in memory.
  const limiter =
    config.redisUrl === undefined
      ? new MemoryRateLimiter()
      : new RedisRateLimiter({
          url: config.redisUrl,
          prefix: config.redisPrefix,
          onError: (err) => logger?.warn({ err }, 'rate limiter: Redis unavailable, not limiting'),
        });
  let refusedTotal: Counter<'code'> | undefined;
  let retainedTotal: Counter<'kind'> | undefined;
  const limits = createLimits({ config, store, limiter, onRefused: (code) => refusedTotal?.inc({ code }) });
  const retention = options.retention
    ? createRetention({
        store,
        runLogRetentionHours: config.runLogRetentionHours,
        payloadRetentionHours: config.payloadRetentionHours,
        intervalMs: config.retentionIntervalMs,
        log: (message, extra) => logger?.info(extra ?? {}, message),
        onDeleted: (kind, count) => retainedTotal?.inc({ kind }, count),
      })
    : undefined;
  return {
    logger,
    tracing,
    limits,
    retention,
    attachMetrics(registry) {
      refusedTotal = new Counter({
        name: 'weft_admission_refused_total',
        help: 'Starts and webhook calls refused by the per-company limits, by error code.',
        labelNames: ['code'],
        registers: [registry],
      });
      retainedTotal = new Counter({
        name: 'weft_retention_deleted_total',
        help: 'Rows deleted by retention, by kind (run_logs, payloads).',
        labelNames: ['kind'],
        registers: [registry],
      });
    },
    async close() {
      await retention?.stop();
      await limits.close();
      await tracing?.shutdown();
    },
  };
}
