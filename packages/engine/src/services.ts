import type { Tracer } from '@opentelemetry/api';
import type { CachePort, DataPoolPort, TrackedDataPort } from './data-ports.js';
import type { Sandbox } from './sandbox/index.js';
import type { DatabaseClient } from './shapes/connector/database.js';
import type { ConnectorResolver } from './shapes/connector/endpoint.js';
import type { EmailSender } from './shapes/notify/email.js';
import type { ChildRuns } from './shapes/run-flow/port.js';

/** What the engine needs from outside, passed in so the engine reads no env and opens no driver. */
export interface EngineServices {
  /** The outbound HTTP client for connector shapes, with the egress guard applied. */
  http: HttpClient;
  now(): Date;
  /** Milliseconds to wait; tests may shorten it. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** The company's deployed scripts, for the `script` shape; without it that shape fails its step. */
  scripts?: ScriptStore;
  /** Where scripts run; the `script` shape uses a process-wide default sandbox when absent. */
  sandbox?: Sandbox;
  /** Instances' endpoints with decrypted credentials, for `connector` steps that name an instance; without it those steps fail. */
  connectors?: ConnectorResolver;
  /** Named caches for cache_add, cache_load and the cache_lookup transform; without it those fail. */
  caches?: CachePort;
  /** Data pools for dedupe; without it that shape fails its step. */
  dataPools?: DataPoolPort;
  /** Where track_data records values; without it that shape fails its step. */
  trackedData?: TrackedDataPort;
  /** Email to notification groups (`notify` channel email/both); absent when the server has no SMTP settings. */
  email?: EmailSender;
  /** Starts and watches child runs for `run_flow` steps; without it those steps fail. */
  childRuns?: ChildRuns;
  /**
   * Gives the run back to the queue and ends the current attempt at once (the step is not
   * journalled, so it runs again on resume), to be resumed after about `afterMs`. A step that waits
   * long on something outside (run_flow waiting for children) frees its worker slot this way.
   * Absent: the step keeps waiting where it is.
   */
  suspendRun?(afterMs: number): void;
  /** OpenTelemetry tracer for step spans (the API only; the server owns the SDK); none means no spans. */
  tracer?: Tracer;
  /** Pooled database connections for instances of database connectors; without it those steps fail. */
  databases?: DatabaseClient;
  /** The company's cross-reference lookup tables, for the map transform `lookup`; without it those transforms fail. */
  lookupTables?: LookupTableSource;
}

/** A deployed script's code, already JavaScript (TypeScript is transpiled on deploy). */
export interface ScriptSource {
  code: string;
  version: number;
}

export interface ScriptStore {
  /** The named script at `version`, or its latest deployed version; undefined when there is no such script or version. */
  load(companyId: string, name: string, version?: number): Promise<ScriptSource | undefined>;
}

/** One row of a cross-reference lookup table. */
export interface LookupTableRow {
  left: string;
  right: string;
}

export interface LookupTableSource {
  /** Every row of the company's table named `name`, in order; undefined when there is no such table. */
  load(companyId: string, name: string): Promise<LookupTableRow[] | undefined>;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpClient {
  /** Refuses loopback/private/link-local/metadata targets (AppError EGRESS_DENIED) unless allow-listed. */
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}
