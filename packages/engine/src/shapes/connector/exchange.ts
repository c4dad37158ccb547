import { AppError, type ConnectorConfig, isAppError } from '@weft/schema';
import { describeUrl } from '../../net/http-client.js';
import type { HttpResponse } from '../../services.js';
import type { ShapeContext } from '../../shape.js';
import type { Throttle } from './rate-limit.js';
import type { Secrets } from './secrets.js';

const ERROR_BODY_CHARS = 200;
/** A longer wait belongs to the step's own retries (with backoff), not to a sleep inside one attempt. */
export const MAX_RETRY_AFTER_SECONDS = 60;

export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export interface ExchangeOptions {
  secrets: Secrets;
  timeoutMs: number;
  payloadIndex: number;
  /** Sets credentials on a copy of the request just before it is sent; `fresh` asks for a new token after a 401. */
  authorise?: (request: OutgoingRequest, fresh: boolean) => Promise<void>;
  /** Whether a 401 is worth one more try with fresh credentials (an OAuth 2 token may have been revoked early). */
  refreshOn401?: boolean;
  /** The instance's rate limit: a slot booked in shared storage before each request (retries included), deferred by a Retry-After. */
  throttle?: Throttle;
  /** Extra log data, e.g. the page number. */
  logData?: Record<string, unknown>;
}

/**
 * One request as the step sees it: sent through services.http (the egress guard), logged with
 * secrets masked, a 429 with a short Retry-After waited out once, a 401 retried once with fresh
 * credentials when the auth method can refresh them.
 */
export async function exchange(
  ctx: ShapeContext<ConnectorConfig>,
  request: OutgoingRequest,
  options: ExchangeOptions,
): Promise<HttpResponse> {
  let refreshed = false;
  let waited = false;
  let fresh = false;
  for (;;) {
    const response = await sendOnce(ctx, request, options, fresh);
    if (response.status === 401 && options.refreshOn401 && !refreshed) {
      refreshed = true;
      fresh = true;
      continue;
    }
    if (response.status === 429 && !waited) {
      const delayMs = retryAfterMs(response.headers['retry-after'], ctx.services.now());
      // Every run of the instance holds back, not only this one: the target is counting the account.
      if (delayMs !== undefined && options.throttle) await options.throttle.defer(ctx.services.now().getTime() + delayMs);
      if (delayMs !== undefined && delayMs <= MAX_RETRY_AFTER_SECONDS * 1000) {
        waited = true;
        fresh = false;
        ctx.log({
          level: 'info',
          message: `waiting ${Math.ceil(delayMs / 1000)} s as the target's Retry-After asks, then sending again`,
          data: { retry_after_ms: delayMs, payload_index: options.payloadIndex },
        });
        // With a rate limit the next slot is already after the deferral: the throttle does the waiting.
        if (!options.throttle) await ctx.services.sleep(delayMs, ctx.signal);
        continue;
      }
    }
    return response;
  }
}

async function sendOnce(
  ctx: ShapeContext<ConnectorConfig>,
  request: OutgoingRequest,
  options: ExchangeOptions,
  fresh: boolean,
): Promise<HttpResponse> {
  const { secrets } = options;
  const outgoing: OutgoingRequest = { ...request, url: new URL(request.url), headers: { ...request.headers } };
  if (options.throttle) await options.throttle.wait();
  if (options.authorise) await options.authorise(outgoing, fresh);
  const { method } = outgoing;
  const shownUrl = shownUrlOf(outgoing.url.toString(), secrets);
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  let response: HttpResponse;
  try {
    response = await ctx.services.http.request({
      method,
      url: outgoing.url.toString(),
      headers: outgoing.headers,
      ...(outgoing.body === undefined ? {} : { body: outgoing.body }),
      timeoutMs: options.timeoutMs,
      signal: ctx.signal,
    });
  } catch (err) {
    const durationMs = elapsedMs();
    ctx.log({
      level: 'warning',
      message: `${method} ${shownUrl} failed after ${durationMs} ms`,
      data: {
        method,
        url: shownUrl,
        status: null,
        duration_ms: durationMs,
        payload_index: options.payloadIndex,
        code: isAppError(err) ? err.code : null,
        ...options.logData,
      },
    });
    throw secrets.maskError(err);
  }
  const durationMs = elapsedMs();
  const successful = isSuccessful(response.status, ctx.config.allow_unsuccessful_statuses);
  ctx.log({
    level: successful ? 'info' : 'warning',
    message: `${method} ${shownUrl} answered ${response.status} in ${durationMs} ms`,
    data: {
      method,
      url: shownUrl,
      status: response.status,
      duration_ms: durationMs,
      payload_index: options.payloadIndex,
      ...options.logData,
    },
  });
  return response;
}

export function shownUrlOf(url: string, secrets: Secrets): string {
  return secrets.mask(describeUrl(url));
}

/** Retry-After as delay seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Any other number (negative, fractional) is invalid, not a year for Date.parse.
  if (/^[-+]?[\d.]+$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

export function isSuccessful(status: number, allowed: ConnectorConfig['allow_unsuccessful_statuses']): boolean {
  if (status >= 200 && status < 300) return true;
  if (allowed === true) return true;
  return Array.isArray(allowed) && allowed.includes(status);
}

/** Retrying helps when the target is overloaded or failing (5xx, 408, 429), not when it refused the request. */
export function statusError(method: string, url: URL, response: HttpResponse, secrets: Secrets): AppError {
  const { status } = response;
  const shownUrl = shownUrlOf(url.toString(), secrets);
  const retryable = status >= 500 || status === 408 || status === 429;
  const location = response.headers.location;
  const redirect =
    status >= 300 && status < 400 && location !== undefined ? ` (redirect to ${shownUrlOf(location, secrets)}, not followed)` : '';
  // Masked before it is cut, so a secret that straddles the cut cannot leave its first half behind.
  const head = response.body.subarray(0, ERROR_BODY_CHARS * 20).toString('utf8');
  const masked = secrets.mask(head);
  const text = masked.slice(0, ERROR_BODY_CHARS);
  const excerpt = text === '' ? '' : `: ${text}${response.body.length > Buffer.byteLength(head) || masked.length > text.length ? '…' : ''}`;
  return new AppError('CONNECTOR_HTTP_ERROR', `${method} ${shownUrl} answered ${status}${redirect}${excerpt}`, { retryable });
}
