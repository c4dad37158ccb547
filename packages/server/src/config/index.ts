import path from 'node:path';

/**
 * The one place that reads process.env. Every setting has a default that works with no
 * configuration at all (SQLite under ./data, in-process queue, port 3000); units are in names.
 */
export interface Config {
  /** WEFT_PORT */
  port: number;
  /** WEFT_HOST */
  host: string;
  /** WEFT_DATA_DIR: the SQLite file, large payloads and the generated signing key live here. */
  dataDir: string;
  /** WEFT_EGRESS_ALLOW: comma-separated hosts or CIDRs connectors may reach though loopback/private. */
  egressAllow: string[];
  /** WEFT_SIGNUP: open | closed */
  signup: 'open' | 'closed';
  /** WEFT_BODY_LIMIT_BYTES */
  bodyLimitBytes: number;
  /** WEFT_TOKEN_TTL_SECONDS */
  tokenTtlSeconds: number;
  /** WEFT_TOKEN_SECRET: HMAC key for tokens; generated and stored with the data when absent. */
  tokenSecret: string | undefined;
  /** WEFT_CREDENTIALS_KEY: base64 of 32 bytes encrypting connector credentials; generated and stored with the data when absent. */
  credentialsKey: string | undefined;
  /** WEFT_CREDENTIALS_OLD_KEYS: comma-separated base64 keys that only decrypt (earlier keys, until `weft keys rotate` has re-encrypted everything). */
  credentialsOldKeys: string[];
  /** WEFT_PUBLIC_URL: the address browsers reach this server at (https://weft.example.com), for OAuth 2 redirect URIs; unset means the request's own host. */
  publicUrl: string | undefined;
  /** WEFT_WORKER_CONCURRENCY: runs one process advances at once. */
  workerConcurrency: number;
  /** WEFT_COMPANY_CONCURRENCY: running runs per company. */
  companyConcurrency: number;
  /** WEFT_LEASE_MS: how long a worker's claim on a run lasts without renewal. */
  leaseMs: number;
  /** WEFT_LOG_LEVEL */
  logLevel: string;
  /** WEFT_RETRY_BASE_MS: first backoff of step retries. */
  retryBaseMs: number;
  /** WEFT_DATABASE_URL: postgres://… switches the store to PostgreSQL; unset means SQLite under dataDir. */
  databaseUrl: string | undefined;
  /** WEFT_DATABASE_POOL_SIZE: PostgreSQL connections this process keeps open at most. */
  databasePoolSize: number;
  /** WEFT_DATABASE_SCHEMA: the PostgreSQL schema holding Weft's tables (created by migrate when absent). */
  databaseSchema: string;
  /**
   * WEFT_STORE_THREAD: with SQLite, run the store in a worker thread of its own. Off by default: on
   * two cores it cut the main thread's CPU per run by a quarter but not the runs/s, and each start
   * then waits for two thread round trips (see docs/operations.md).
   */
  storeThread: boolean;
  /**
   * WEFT_HEAP_GROWING_PERCENT: how far V8 lets the old generation grow past what survived the last
   * full collection before it collects again (30 = 1.3×); 0 leaves V8's own factor (up to 4×).
   * Large payloads leave large strings that only a full collection frees (docs/operations.md#memory).
   */
  heapGrowingPercent: number;
  /** WEFT_REDIS_URL: redis://… switches the queue to BullMQ on Redis; unset means the in-process queue. */
  redisUrl: string | undefined;
  /** WEFT_REDIS_PREFIX: every Redis key and channel of this installation starts with it. */
  redisPrefix: string;
  /** WEFT_SMTP_URL: smtp://user:pass@host:port (smtps:// for TLS) for notify emails and run-failure emails; unset means no email. */
  smtpUrl: string | undefined;
  /** WEFT_SMTP_FROM: the From address of emails Weft sends. */
  smtpFrom: string;
  /** WEFT_START_RATE_PER_MINUTE: starts per company per minute (start and manual endpoints); 0 lifts the limit. */
  startRatePerMinute: number;
  /** WEFT_WEBHOOK_RATE_PER_MINUTE: webhook calls per company per minute; 0 lifts the limit. */
  webhookRatePerMinute: number;
  /** WEFT_QUEUED_RUNS_MAX: a company with more runs waiting than this gets new starts refused (429); 0 lifts it. */
  queuedRunsMax: number;
  /** WEFT_RUN_MAX_STEPS: step executions one run may make; 0 lifts the cap. */
  runMaxSteps: number;
  /** WEFT_RUN_MAX_OUTBOUND_REQUESTS: outbound connector requests one run may make; 0 lifts the cap. */
  runMaxOutboundRequests: number;
  /** WEFT_RUN_MAX_PAYLOAD_BYTES: bytes of step output payloads one run may produce; 0 lifts the cap. */
  runMaxPayloadBytes: number;
  /** WEFT_RUN_LOG_RETENTION_HOURS: run log lines older than this are deleted; 0 keeps them. */
  runLogRetentionHours: number;
  /** WEFT_PAYLOAD_RETENTION_HOURS: payloads of finished runs older than this are deleted; 0 keeps them. */
  payloadRetentionHours: number;
  /** WEFT_RETENTION_INTERVAL_MS: how often a worker process applies retention. */
  retentionIntervalMs: number;
  /** WEFT_OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); traces are exported only when set. */
  otelEndpoint: string | undefined;
  /**
   * WEFT_TEST_FAULT: a fault the end-to-end tests inject into a real process. Only
   * `exit-after-commit` (the API kills itself after committing a start, before enqueueing it).
   * Never set it in production.
   */
  testFault: 'exit-after-commit' | undefined;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'on', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'off', 'false', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be on or off, got "${env[name]}"`);
}

function testFault(raw: string | undefined): Config['testFault'] {
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'exit-after-commit') throw new Error(`WEFT_TEST_FAULT must be "exit-after-commit" or unset, got "${raw}"`);
  return raw;
}

function otlpEndpoint(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^https?:\/\/[^/]/.test(raw)) {
    throw new Error(`WEFT_OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL (e.g. http://127.0.0.1:4318), got "${raw}"`);
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const signup = env.WEFT_SIGNUP ?? 'open';
  if (signup !== 'open' && signup !== 'closed') throw new Error(`WEFT_SIGNUP must be "open" or "closed", got "${signup}"`);
  const databaseUrl = env.WEFT_DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('WEFT_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite under WEFT_DATA_DIR)');
  }
  const redisUrl = env.WEFT_REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new Error('WEFT_REDIS_URL must be a redis:// or rediss:// URL (leave it unset for the in-process queue)');
  }
  const smtpUrl = env.WEFT_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new Error('WEFT_SMTP_URL must be an smtp:// or smtps:// URL (leave it unset to send no email)');
  }
  const config: Config = {
    port: int(env, 'WEFT_PORT', 3000),
    host: env.WEFT_HOST ?? '127.0.0.1',
    dataDir: path.resolve(env.WEFT_DATA_DIR ?? './data'),
    egressAllow: (env.WEFT_EGRESS_ALLOW ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    signup,
    bodyLimitBytes: int(env, 'WEFT_BODY_LIMIT_BYTES', 8 * 1024 * 1024),
    tokenTtlSeconds: int(env, 'WEFT_TOKEN_TTL_SECONDS', 86_400),
    tokenSecret: env.WEFT_TOKEN_SECRET || undefined,
    credentialsKey: env.WEFT_CREDENTIALS_KEY || undefined,
    credentialsOldKeys: (env.WEFT_CREDENTIALS_OLD_KEYS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    publicUrl: env.WEFT_PUBLIC_URL?.replace(/\/+$/, '') || undefined,
    workerConcurrency: int(env, 'WEFT_WORKER_CONCURRENCY', 64),
    companyConcurrency: int(env, 'WEFT_COMPANY_CONCURRENCY', 64),
    leaseMs: int(env, 'WEFT_LEASE_MS', 30_000),
    logLevel: env.WEFT_LOG_LEVEL ?? 'warn',
    retryBaseMs: int(env, 'WEFT_RETRY_BASE_MS', 1000),
    databaseUrl,
    databasePoolSize: int(env, 'WEFT_DATABASE_POOL_SIZE', 10),
    databaseSchema: env.WEFT_DATABASE_SCHEMA || 'public',
    storeThread: onOff(env, 'WEFT_STORE_THREAD', false),
    heapGrowingPercent: int(env, 'WEFT_HEAP_GROWING_PERCENT', 30),
    redisUrl,
    redisPrefix: env.WEFT_REDIS_PREFIX || 'weft',
    smtpUrl,
    smtpFrom: env.WEFT_SMTP_FROM || 'Weft <weft@localhost>',
    startRatePerMinute: int(env, 'WEFT_START_RATE_PER_MINUTE', 240),
    webhookRatePerMinute: int(env, 'WEFT_WEBHOOK_RATE_PER_MINUTE', 120),
    queuedRunsMax: int(env, 'WEFT_QUEUED_RUNS_MAX', 10_000),
    runMaxSteps: int(env, 'WEFT_RUN_MAX_STEPS', 10_000),
    runMaxOutboundRequests: int(env, 'WEFT_RUN_MAX_OUTBOUND_REQUESTS', 10_000),
    runMaxPayloadBytes: int(env, 'WEFT_RUN_MAX_PAYLOAD_BYTES', 1024 * 1024 * 1024),
    runLogRetentionHours: int(env, 'WEFT_RUN_LOG_RETENTION_HOURS', 7 * 24),
    payloadRetentionHours: int(env, 'WEFT_PAYLOAD_RETENTION_HOURS', 72),
    retentionIntervalMs: int(env, 'WEFT_RETENTION_INTERVAL_MS', 10 * 60 * 1000),
    otelEndpoint: otlpEndpoint(env.WEFT_OTEL_EXPORTER_OTLP_ENDPOINT),
    testFault: testFault(env.WEFT_TEST_FAULT),
  };
  return { ...config, ...overrides };
}
