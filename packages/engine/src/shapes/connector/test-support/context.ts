import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectorConfig } from '@weft/schema';
import { createHttpClient } from '../../../net/http-client.js';
import { Payload, registerFormat } from '../../../payload.js';
import type { EngineServices, HttpClient } from '../../../services.js';
import type { ShapeContext, StepLog } from '../../../shape.js';
import type { ConnectorResolver } from '../endpoint.js';

export interface ConnectorTestContext {
  ctx: ShapeContext<ConnectorConfig>;
  logs: StepLog[];
}

export interface ConnectorTestOptions {
  http: HttpClient;
  attempt?: number;
  itemKey?: string;
  runId?: string;
  variables?: Record<string, string>;
  signal?: AbortSignal;
  /** The instance port for steps that name an instance and endpoint. */
  connectors?: ConnectorResolver;
  /** Replaces services.sleep, e.g. to record the waits a Retry-After asks for. */
  sleep?: EngineServices['sleep'];
}

/** A client as the engine gets it in tests: the egress guard on, 127.0.0.1 allow-listed. */
export function testHttpClient(allow: string[] = ['127.0.0.1']): HttpClient {
  return createHttpClient({ allow });
}

export function testServices(http: HttpClient): EngineServices {
  return {
    http,
    now: () => new Date(),
    sleep: (ms, signal) => delay(ms, undefined, { signal }),
  };
}

/** The context the engine would hand a `connector` step named "send" in run "run-1". */
export function connectorContext(config: ConnectorConfig, options: ConnectorTestOptions): ConnectorTestContext {
  ensureJsonCodec();
  const logs: StepLog[] = [];
  const ctx: ShapeContext<ConnectorConfig> = {
    step: { id: 'send', shape: 'connector', config: config as unknown as Record<string, unknown> },
    config,
    run: {
      id: options.runId ?? 'run-1',
      companyId: 'company-1',
      flowId: 'flow-1',
      versionId: 'version-1',
      trigger: 'api',
      queuedAt: '2030-01-02T03:04:05.000Z',
    },
    variables: options.variables ?? {},
    attempt: options.attempt ?? 1,
    itemKey: options.itemKey ?? 'send',
    signal: options.signal ?? new AbortController().signal,
    log: (entry) => logs.push(entry),
    services: {
      ...testServices(options.http),
      ...(options.connectors === undefined ? {} : { connectors: options.connectors }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    },
  };
  return { ctx, logs };
}

/** A JSON payload made from bytes, the way the journal hands stored payloads to a step. */
export function jsonPayload(value: unknown, meta: Record<string, string> = {}): Payload {
  return Payload.fromBytes(Buffer.from(JSON.stringify(value)), 'json', meta);
}

// The format codecs belong to formats/ and are registered when the engine is assembled; these
// tests only need JSON, so they register a plain one when nothing else has.
function ensureJsonCodec(): void {
  try {
    Payload.fromBytes(Buffer.from('1'), 'json').value();
  } catch {
    registerFormat('json', {
      parse: (bytes) => JSON.parse(bytes.toString('utf8')),
      serialise: (value) => Buffer.from(JSON.stringify(value) ?? 'null'),
    });
  }
}
