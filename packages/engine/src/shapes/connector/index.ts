import { createHash } from 'node:crypto';
import { AppError, type ConnectorConfig, isAppError, type PayloadFormat } from '@weft/schema';
import { Payload } from '../../payload.js';
import type { HttpResponse } from '../../services.js';
import type { Shape, ShapeContext } from '../../shape.js';
import { renderTemplate, runTemplateScope, type TemplateScope } from '../../templates/index.js';
import { callDatabase } from './database-call.js';
import { exchange, isSuccessful, type OutgoingRequest, statusError } from './exchange.js';
import { callEndpoint, resolveEndpoint } from './instance.js';
import { Secrets } from './secrets.js';

export const DEFAULT_CONNECTOR_TIMEOUT_SECONDS = 30;
export const DEFAULT_CONNECTOR_RETRIES = 0;

const ERROR_BODY_CHARS = 200;
const IDEMPOTENCY_KEY_HEX_CHARS = 32;

export const CONTENT_TYPES: Readonly<Record<PayloadFormat, string>> = {
  json: 'application/json',
  xml: 'application/xml',
  csv: 'text/csv',
  text: 'text/plain',
};

/**
 * The `connector` shape (spec/flows.md §3), with an inline request or an instance's endpoint
 * (instance.ts: auth, endpoint variables, pagination).
 *
 * Send: one request per payload of the bucket, the payload's bytes as the body unless `body` is
 * set. Receive: an empty bucket makes one request without a payload. Each response becomes one
 * output payload, in the format its Content-Type names, with `http_status` in its meta.
 *
 * Requests are sent one after another so the target sees them in bucket order; a failure fails
 * the whole attempt, and a retry sends every request again with the same Idempotency-Key.
 */
export const connectorShape: Shape<ConnectorConfig> = {
  name: 'connector',
  retries: (config) => config.retries ?? DEFAULT_CONNECTOR_RETRIES,
  timeoutMs: attemptTimeoutMs,
  async execute(ctx, input) {
    const payloads: Payload[] = [];
    if (ctx.config.request === undefined) {
      const resolved = await resolveEndpoint(ctx);
      if (resolved.resolved.database !== undefined)
        return { payloads: await callDatabase(ctx, resolved.resolved.database, resolved.secrets, input) };
      if (input.length === 0) payloads.push(...(await callEndpoint(ctx, resolved, undefined, 0)));
      for (const [index, payload] of input.entries()) payloads.push(...(await callEndpoint(ctx, resolved, payload, index)));
      return { payloads };
    }
    if (input.length === 0) payloads.push(await call(ctx, undefined, 0));
    for (const [index, payload] of input.entries()) payloads.push(await call(ctx, payload, index));
    return { payloads };
  },
};

export function attemptTimeoutMs(config: ConnectorConfig): number {
  return (config.timeout_seconds ?? DEFAULT_CONNECTOR_TIMEOUT_SECONDS) * 1000;
}

/**
 * Stable across attempts, resumes and retries of the run, distinct per payload, so a target that
 * honours Idempotency-Key applies each payload once (quality.md §1.3).
 */
export function idempotencyKey(runId: string, itemKey: string, payloadIndex: number): string {
  return createHash('sha256').update(`${runId}\u0000${itemKey}\u0000${payloadIndex}`).digest('hex').slice(0, IDEMPOTENCY_KEY_HEX_CHARS);
}

async function call(ctx: ShapeContext<ConnectorConfig>, payload: Payload | undefined, index: number): Promise<Payload> {
  const { config, step } = ctx;
  const request = config.request;
  if (request === undefined) throw new AppError('STEP_FAILED', `step ${JSON.stringify(step.id)} has no request`, { retryable: false });
  const { method } = request;
  const render = settingRenderer(step.id, templateScope(ctx, payload));

  const url = requestUrl(step.id, render('request.url', request.url), 'request.url');
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.append(key, render(`request.query.${key}`, value));

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    headers[name] = headerValue(step.id, `request.headers.${name}`, render(`request.headers.${name}`, value));
  }

  let body: Buffer | string | undefined;
  let defaultContentType: string | undefined;
  if (method === 'HEAD') {
    body = undefined;
  } else if (request.body !== undefined) {
    body = render('request.body', request.body);
    defaultContentType = sniffContentType(body);
  } else if (payload !== undefined && method !== 'GET') {
    body = payload.bytes();
    defaultContentType = CONTENT_TYPES[payload.format];
  }
  if (body !== undefined && defaultContentType !== undefined && !hasHeader(headers, 'content-type'))
    headers['Content-Type'] = defaultContentType;
  if (!hasHeader(headers, 'idempotency-key')) headers['Idempotency-Key'] = idempotencyKey(ctx.run.id, ctx.itemKey, index);

  const secrets = new Secrets();
  const outgoing: OutgoingRequest = { method, url, headers, ...(body === undefined ? {} : { body }) };
  const response = await exchange(ctx, outgoing, { secrets, timeoutMs: attemptTimeoutMs(config), payloadIndex: index });
  if (!isSuccessful(response.status, config.allow_unsuccessful_statuses)) throw statusError(method, url, response, secrets);
  return responsePayload(response, { ...(payload?.meta ?? {}), http_status: String(response.status) }, config.wrapping ?? 'raw');
}

export function templateScope(ctx: ShapeContext<ConnectorConfig>, payload: Payload | undefined): TemplateScope {
  return {
    meta: payload?.meta ?? {},
    flow: ctx.variables,
    run: runTemplateScope(ctx.run),
    ...(payload === undefined ? {} : { payload: () => payload.value() }),
  };
}

/** Renders a setting's template, naming the setting and the step when it fails. */
export function settingRenderer(stepId: string, scope: TemplateScope): (setting: string, template: string) => string {
  return (setting, template) => {
    try {
      return renderTemplate(template, scope);
    } catch (err) {
      if (!isAppError(err)) throw err;
      throw new AppError(err.code, `${settingName(stepId, setting)}: ${err.message}`, { retryable: err.retryable, cause: err });
    }
  };
}

/** A line break would end the header early; say which setting, rather than let undici refuse it. */
export function headerValue(stepId: string, setting: string, rendered: string): string {
  if (/[\r\n\0]/.test(rendered)) {
    throw new AppError('TEMPLATE_ERROR', `${settingName(stepId, setting)} contains a line break after templating`, { retryable: false });
  }
  return rendered;
}

export function settingName(stepId: string, setting: string): string {
  return `${setting} of step ${JSON.stringify(stepId)}`;
}

export function requestUrl(stepId: string, rendered: string, setting: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(rendered);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    const shown = rendered.length > ERROR_BODY_CHARS ? `${rendered.slice(0, ERROR_BODY_CHARS)}…` : rendered;
    throw new AppError(
      'STEP_FAILED',
      `${settingName(stepId, setting)} must be an absolute http(s) URL after templating, got ${JSON.stringify(shown)}`,
      {
        retryable: false,
      },
    );
  }
  return url;
}

export function hasHeader(headers: Record<string, string>, lowerName: string): boolean {
  return Object.keys(headers).some((name) => name.toLowerCase() === lowerName);
}

/** A written body's type is guessed from its first character; a header in the step overrides it. */
function sniffContentType(body: string): string {
  const start = body.trimStart()[0];
  if (start === '{' || start === '[') {
    try {
      JSON.parse(body);
      return CONTENT_TYPES.json;
    } catch {
      return CONTENT_TYPES.text;
    }
  }
  return start === '<' ? CONTENT_TYPES.xml : CONTENT_TYPES.text;
}

export function formatOf(contentType: string | undefined): PayloadFormat {
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/json' || mime === 'text/json' || mime.endsWith('+json')) return 'json';
  if (mime === 'application/xml' || mime === 'text/xml' || mime.endsWith('+xml')) return 'xml';
  if (mime === 'text/csv' || mime === 'application/csv') return 'csv';
  return 'text';
}

export function responsePayload(response: HttpResponse, meta: Record<string, string>, wrapping: 'raw' | 'first'): Payload {
  // An empty body (204, HEAD) has nothing to parse, whatever its Content-Type claims.
  if (response.body.length === 0) return Payload.empty(meta);
  const format = formatOf(response.headers['content-type']);
  if (wrapping === 'first' && format === 'json') {
    const first = firstElement(response.body);
    if (first !== NOT_AN_ARRAY)
      return first === undefined ? Payload.empty(meta) : Payload.fromBytes(Buffer.from(JSON.stringify(first)), 'json', meta);
  }
  return Payload.fromBytes(response.body, format, meta);
}

const NOT_AN_ARRAY = Symbol('not an array');

/** The first element of a JSON array body; a body that is not an array (or not JSON) stays as it is. */
function firstElement(body: Buffer): unknown {
  let value: unknown;
  try {
    const text = body.toString('utf8');
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return NOT_AN_ARRAY;
  }
  return Array.isArray(value) ? value[0] : NOT_AN_ARRAY;
}
