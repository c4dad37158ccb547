import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Queue } from '../queue/types.js';
import type { RetentionKind } from '../retention/retention.js';
import type { RunEvents } from '../worker/run-events.js';

/**
 * Prometheus metrics of one process. Run counters are fed from the live run events (the worker
 * already publishes them for server-sent events), so the worker needs no metrics code of its own.
 * Every counter exists from construction: the parts that count (limits, retention) are handed
 * these functions when they are made, so nothing they count before the first scrape is lost.
 */
export interface Metrics {
  registry: Registry;
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** A start or webhook call refused by the per-company limits, by error code. */
  countRefused(code: string): void;
  /** Rows retention deleted, by kind. */
  countRetentionDeleted(kind: RetentionKind, count: number): void;
}

export function createMetrics(deps: { events: RunEvents; queue: Queue }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'weft_process_' });
  const runsFinished = new Counter({
    name: 'weft_runs_finished_total',
    help: 'Runs that reached a terminal status, by status.',
    labelNames: ['status'],
    registers: [registry],
  });
  const runsStarted = new Counter({ name: 'weft_runs_started_total', help: 'Runs a worker started or resumed.', registers: [registry] });
  const stepDuration = new Histogram({
    name: 'weft_step_duration_seconds',
    help: 'Duration of step attempts, by step outcome level.',
    labelNames: ['level'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  const stepErrors = new Counter({
    name: 'weft_step_errors_total',
    help: 'Failed step attempts (connector errors included), by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const http = new Histogram({
    name: 'weft_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'weft_admission_refused_total',
    help: 'Starts and webhook calls refused by the per-company limits, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const retentionDeleted = new Counter({
    name: 'weft_retention_deleted_total',
    help: 'Rows deleted by retention, by kind (run_logs, payloads).',
    labelNames: ['kind'],
    registers: [registry],
  });
  new Gauge({
    name: 'weft_queue_depth',
    help: 'Jobs waiting in this process’s view of the queue.',
    registers: [registry],
    collect() {
      this.set(deps.queue.size());
    },
  });

  deps.events.subscribeAll((event) => {
    if (event.type === 'status') {
      const status = String(event.data.status);
      if (status === 'running') runsStarted.inc();
      else runsFinished.inc({ status });
    } else if (event.type === 'log') {
      const durationMs = event.data.duration_ms;
      if (typeof durationMs === 'number') stepDuration.observe({ level: String(event.data.level) }, durationMs / 1000);
      const code = (event.data.data as { code?: string } | null | undefined)?.code;
      if (event.data.level !== 'info' && code) stepErrors.inc({ code });
    }
  });

  return {
    registry,
    observeHttp(method, route, status, seconds) {
      http.observe({ method, route, status: String(status) }, seconds);
    },
    countRefused(code) {
      refused.inc({ code });
    },
    countRetentionDeleted(kind, count) {
      retentionDeleted.inc({ kind }, count);
    },
  };
}
