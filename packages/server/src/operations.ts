import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config/index.js';
import { createLimits, type Limits } from './limits/limits.js';
import { MemoryRateLimiter, RedisRateLimiter } from './limits/rate-limiter.js';
import { createLogger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
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
  close(): Promise<void>;
}

/** `metrics` is the process's, made first so limits and retention count into it from their first call. */
export function openOperations(
  config: Config,
  store: Store,
  options: { retention: boolean; metrics: Metrics; logStream?: DestinationStream },
): Operations {
  const { metrics } = options;
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
  const limits = createLimits({ config, store, limiter, onRefused: (code) => metrics.countRefused(code) });
  const retention = options.retention
    ? createRetention({
        store,
        runLogRetentionHours: config.runLogRetentionHours,
        payloadRetentionHours: config.payloadRetentionHours,
        intervalMs: config.retentionIntervalMs,
        log: (message, extra) => logger?.info(extra ?? {}, message),
        onDeleted: (kind, count) => metrics.countRetentionDeleted(kind, count),
      })
    : undefined;
  return {
    logger,
    tracing,
    limits,
    retention,
    async close() {
      await retention?.stop();
      await limits.close();
      await tracing?.shutdown();
    },
  };
}
