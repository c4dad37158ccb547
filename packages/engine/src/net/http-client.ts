import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { AppError, isAppError } from '@weft/schema';
import { Agent, buildConnector, request } from 'undici';
import type { HttpClient, HttpRequest, HttpResponse } from '../services.js';
import { createEgressPolicy, type EgressPolicy } from './egress-policy.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface HttpClientOptions {
  /** Egress allow-list: host names, IP addresses or CIDR ranges (see createEgressPolicy). */
  allow: readonly string[];
  /** Responses with a larger body fail instead of filling memory. Default 64 MiB. */
  maxResponseBytes?: number;
  /** Open connections kept per origin; further requests queue. Default 128. */
  connectionsPerOrigin?: number;
  /** Time to establish a connection (TCP and TLS). Default 10 s; the request's own limit applies as well. */
  connectTimeoutMs?: number;
  /** Resolver, replaceable so tests can play DNS rebinding; defaults to the system resolver. */
  lookup?: typeof dns.lookup;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The outbound HTTP client for connectors: undici with keep-alive pooling and the egress guard
 * applied where it cannot be raced.
 *
 * The guard runs inside the connector, on the addresses the socket is about to use, rather than
 * on the URL beforehand: a name checked early can resolve somewhere else by the time it is
 * connected to (DNS rebinding). Node skips the lookup for literal IP hosts, so those are checked
 * in the connector too. Redirects are never followed; the caller sees the 3xx.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const policy = createEgressPolicy(options.allow);
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const baseConnect = buildConnector({ lookup: guardedLookup(policy, options.lookup ?? dns.lookup), timeout: connectTimeoutMs });
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 128,
    connect(opts, callback) {
      if (isIP(opts.hostname) !== 0) {
        try {
          policy.checkAddress(opts.hostname, opts.hostname);
        } catch (err) {
          callback(err as Error, null);
          return;
        }
      }
      baseConnect(opts, callback);
    },
  });

  return {
    request: (req) => send(agent, req, maxResponseBytes),
    close: () => agent.close(),
  };
}

function guardedLookup(policy: EgressPolicy, lookup: typeof dns.lookup): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '');
        return;
      }
      const list = addresses as unknown as LookupAddress[];
      const first = list[0];
      if (first === undefined) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
        return;
      }
      // Every address is checked, not just the first: with happy eyeballs Node may use any of them.
      try {
        for (const a of list) policy.checkAddress(a.address, hostname);
      } catch (refusal) {
        callback(refusal as NodeJS.ErrnoException, '');
        return;
      }
      if (options.all) callback(null, list);
      else callback(null, first.address, first.family);
    });
  };
}

const TIMED_OUT = Symbol('timed out');

async function send(agent: Agent, req: HttpRequest, maxResponseBytes: number): Promise<HttpResponse> {
  const target = `${req.method} ${describeUrl(req.url)}`;
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new AppError('CONNECTOR_NETWORK_ERROR', `${target}: not a valid URL`, { retryable: false });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('CONNECTOR_NETWORK_ERROR', `${target}: only http and https URLs are supported`, { retryable: false });
  }

  // One deadline for connecting, sending and reading the whole body, so a slow trickle of bytes
  // cannot hold the attempt past its limit; the caller's signal (run stopped) aborts it too.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMED_OUT), req.timeoutMs);
  const onCallerAbort = () => controller.abort(req.signal?.reason);
  if (req.signal?.aborted) onCallerAbort();
  else req.signal?.addEventListener('abort', onCallerAbort, { once: true });

  try {
    const res = await request(url, {
      dispatcher: agent,
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      signal: controller.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const declared = Number(res.headers['content-length']);
    if (declared > maxResponseBytes) {
      discard(res.body);
      throw tooLarge(target, maxResponseBytes);
    }
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length;
      if (received > maxResponseBytes) {
        discard(res.body);
        throw tooLarge(target, maxResponseBytes);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, headers: flattenHeaders(res.headers), body: Buffer.concat(chunks, received) };
  } catch (err) {
    throw toAppError(err, target, req, controller.signal);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Drops a body we will not read; the connection closes instead of returning to the pool. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  // undici reports the destroy as an abort error; nobody is listening for it any more.
  body.on('error', () => {});
  body.destroy();
}

function toAppError(err: unknown, target: string, req: HttpRequest, signal: AbortSignal): AppError {
  if (isAppError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if ((signal.aborted && signal.reason === TIMED_OUT) || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new AppError('STEP_TIMEOUT', `${target} did not answer within ${req.timeoutMs} ms`, { retryable: true });
  }
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return isAppError(reason) ? reason : new AppError('CONNECTOR_NETWORK_ERROR', `${target} was aborted`, { retryable: true, cause: err });
  }
  // Argument errors (a header value with a line break, an unsupported method) fail the same way every time.
  if (
    code === 'UND_ERR_INVALID_ARG' ||
    code === 'ERR_INVALID_ARG_VALUE' ||
    code === 'ERR_INVALID_CHAR' ||
    code === 'ERR_INVALID_HTTP_TOKEN'
  ) {
    return new AppError('CONNECTOR_NETWORK_ERROR', `${target} could not be sent: ${errorText(err)}`, { retryable: false, cause: err });
  }
  return new AppError('CONNECTOR_NETWORK_ERROR', `${target} failed: ${errorText(err)}`, { retryable: true, cause: err });
}

function tooLarge(target: string, maxResponseBytes: number): AppError {
  return new AppError('CONNECTOR_HTTP_ERROR', `${target} answered with a body over the ${formatBytes(maxResponseBytes)} response limit`, {
    retryable: false,
  });
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const text = err.message || (typeof code === 'string' ? code : err.name);
  // undici's "fetch failed"-style wrappers keep the useful part in the cause.
  const cause = err.cause instanceof Error && err.cause.message && err.cause.message !== text ? ` (${err.cause.message})` : '';
  return `${text}${cause}`;
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

const SECRET_QUERY_KEY = /token|key|secret|pass(word|wd)?|pwd|sig(nature)?|auth|credential|session/i;

/**
 * The URL as it may be written to a log or an error: values of query parameters that look like
 * credentials are masked, and so is the password of userinfo.
 */
export function describeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  }
  if (url.password !== '') url.password = '***';
  if (url.search !== '') {
    const masked = new URLSearchParams();
    for (const [key, value] of url.searchParams) masked.append(key, SECRET_QUERY_KEY.test(key) ? '***' : value);
    url.search = masked.toString();
  }
  return url.toString();
}
