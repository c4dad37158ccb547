import { AppError, type ConnectorConfig, isAppError, type PayloadFormat } from '@weft/schema';
import type { Payload } from '../../payload.js';
import type { ShapeContext } from '../../shape.js';
import { renderTemplate, type TemplateScope } from '../../templates/index.js';
import { type Authoriser, authoriser } from './auth.js';
import type { EndpointDataType, EndpointParam, ResolvedEndpoint } from './endpoint.js';
import { exchange, isSuccessful, type OutgoingRequest, shownUrlOf, statusError } from './exchange.js';
import {
  attemptTimeoutMs,
  CONTENT_TYPES,
  formatOf,
  hasHeader,
  headerValue,
  idempotencyKey,
  requestUrl,
  responsePayload,
  settingName,
  settingRenderer,
  templateScope,
} from './index.js';
import { DEFAULT_MAX_PAGES, firstPageUrl, isEmptyPage, nextPageUrl } from './pagination.js';
import { rateLimiter, type Throttle } from './rate-limit.js';
import { Secrets } from './secrets.js';

const DATA_FORMATS: Readonly<Record<EndpointDataType, PayloadFormat>> = { json: 'json', xml: 'xml', csv: 'csv', txt: 'text' };

/** An instance endpoint made ready for one attempt: the credentials known to the masker before anything is sent or logged. */
export interface EndpointCall {
  resolved: ResolvedEndpoint;
  secrets: Secrets;
  auth: Authoriser;
  /** Set when the endpoint has a rate limit and the resolver can book slots. */
  throttle?: Throttle;
}

export async function resolveEndpoint(ctx: ShapeContext<ConnectorConfig>): Promise<EndpointCall> {
  const { config, step } = ctx;
  const resolver = ctx.services.connectors;
  if (config.instance === undefined || config.endpoint === undefined) {
    throw new AppError('STEP_FAILED', `step ${JSON.stringify(step.id)} needs either request, or instance and endpoint`, {
      retryable: false,
    });
  }
  if (resolver === undefined) {
    throw new AppError('STEP_FAILED', `step ${JSON.stringify(step.id)} names an instance, but this engine has no connectors service`, {
      retryable: false,
    });
  }
  let resolved: ResolvedEndpoint;
  try {
    resolved = await resolver.resolve(ctx.run.companyId, config.instance, config.endpoint);
  } catch (err) {
    if (!isAppError(err)) throw err;
    throw new AppError(err.code, `step ${JSON.stringify(step.id)}: ${err.message}`, { retryable: err.retryable, cause: err });
  }
  const secrets = new Secrets();
  for (const value of Object.values(resolved.auth.credentials)) secrets.add(value);
  const throttle = rateLimiter(ctx, resolver, resolved);
  return { resolved, secrets, auth: authoriser(ctx, resolver, resolved, secrets), ...(throttle === undefined ? {} : { throttle }) };
}

/**
 * One request to the endpoint per payload (send), or one chain of page requests (receive with
 * pagination): each page becomes an output payload with `http_status` and `page` in its meta.
 */
export async function callEndpoint(
  ctx: ShapeContext<ConnectorConfig>,
  call: EndpointCall,
  payload: Payload | undefined,
  index: number,
): Promise<Payload[]> {
  const { config } = ctx;
  const { resolved, secrets } = call;
  const { endpoint } = resolved;
  const request = buildRequest(ctx, resolved, payload);
  const meta = payload?.meta ?? {};
  const wrapping = config.wrapping ?? 'raw';
  const pagination = endpoint.direction === 'receive' ? endpoint.pagination : undefined;

  const send = async (url: URL, page: number) => {
    // Pages after the first get keys of their own: each is a distinct request of the same payload.
    const itemKey = page === 1 ? ctx.itemKey : `${ctx.itemKey}\u0000page ${page}`;
    const headers = { ...request.headers };
    if (!hasHeader(headers, 'idempotency-key')) headers['Idempotency-Key'] = idempotencyKey(ctx.run.id, itemKey, index);
    const outgoing: OutgoingRequest = { ...request, url, headers };
    const response = await exchange(ctx, outgoing, {
      secrets,
      timeoutMs: attemptTimeoutMs(config),
      payloadIndex: index,
      authorise: call.auth.authorise,
      refreshOn401: call.auth.refreshOn401,
      ...(call.throttle === undefined ? {} : { throttle: call.throttle }),
      ...(pagination === undefined ? {} : { logData: { page } }),
    });
    if (!isSuccessful(response.status, config.allow_unsuccessful_statuses)) throw statusError(request.method, url, response, secrets);
    return response;
  };
  const toPayload = (response: Awaited<ReturnType<typeof send>>, extra: Record<string, string>) => {
    const contentType = response.headers['content-type'];
    // The endpoint's data type stands in when the target names no type the engine knows.
    const known = contentType !== undefined && (formatOf(contentType) !== 'text' || /^text\/plain\b/i.test(contentType));
    const headers = known ? response.headers : { ...response.headers, 'content-type': CONTENT_TYPES[DATA_FORMATS[endpoint.data_type]] };
    return responsePayload({ ...response, headers }, { ...meta, http_status: String(response.status), ...extra }, wrapping);
  };

  if (pagination === undefined) return [toPayload(await send(request.url, 1), {})];

  const maxPages = pagination.max_pages ?? DEFAULT_MAX_PAGES;
  const firstUrl = firstPageUrl(pagination, request.url);
  const out: Payload[] = [];
  let url = firstUrl;
  for (let page = 1; ; page++) {
    const response = await send(url, page);
    if (page > 1 && isEmptyPage(pagination, response)) break;
    out.push(toPayload(response, { page: String(page) }));
    let next: URL | undefined;
    try {
      next = nextPageUrl(pagination, response, url, firstUrl, page);
    } catch (err) {
      throw secrets.maskError(err);
    }
    if (next === undefined) break;
    if (page >= maxPages) {
      ctx.log({
        level: 'warning',
        message: `stopped after ${maxPages} pages (max_pages) although ${shownUrlOf(next.toString(), secrets)} was next; raise max_pages on the endpoint if more are expected`,
        data: { max_pages: maxPages, payload_index: index },
      });
      break;
    }
    url = next;
  }
  return out;
}

interface BuiltRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | string;
}

const VARIABLE_PLACE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * The endpoint's request for one payload, without credentials (those are set per send). Templates:
 * `[[...]]` as everywhere (payload, meta, flow, run), and `{{name}}` for the step's endpoint
 * variables over the instance's variables. A step variable named like a query or header parameter
 * also gives that parameter its value.
 */
function buildRequest(ctx: ShapeContext<ConnectorConfig>, resolved: ResolvedEndpoint, payload: Payload | undefined): BuiltRequest {
  const { config, step } = ctx;
  const { endpoint } = resolved;
  const scope = templateScope(ctx, payload);
  const render = settingRenderer(step.id, scope);
  const stepVariables: Record<string, string> = {};
  for (const [name, template] of Object.entries(config.variables ?? {})) stepVariables[name] = render(`variables.${name}`, template);
  const variables: Record<string, string> = { ...resolved.variables, ...stepVariables };
  const where = (part: string) => `${part} of endpoint ${JSON.stringify(endpoint.name)}`;
  const fill = (part: string, template: string, encode: (value: string) => string = (v) => v) =>
    renderEndpointTemplate(step.id, where(part), template, scope, variables, encode);

  const path = fill('path', endpoint.path, encodeURIComponent);
  const base = resolved.baseUrl.replace(/\/+$/, '');
  const joined = path === '' ? base : `${base}${path.startsWith('/') || path.startsWith('?') ? '' : '/'}${path}`;
  const url = requestUrl(step.id, joined, where('base URL and path'));

  const paramValue = (kind: 'query' | 'headers', name: string, param: EndpointParam): string | undefined => {
    const own = stepVariables[name];
    if (own !== undefined) return own;
    if (param.value !== undefined) return fill(`${kind}.${name}`, param.value);
    if (param.required) {
      throw new AppError('STEP_FAILED', `${settingName(step.id, `variables.${name}`)} is required by ${where(kind)}`, { retryable: false });
    }
    return undefined;
  };
  for (const [name, param] of Object.entries(endpoint.query)) {
    const value = paramValue('query', name, param);
    if (value !== undefined) url.searchParams.set(name, value);
  }
  const headers: Record<string, string> = {};
  for (const [name, param] of Object.entries(endpoint.headers)) {
    const value = paramValue('headers', name, param);
    if (value !== undefined) headers[name] = headerValue(step.id, where(`headers.${name}`), value);
  }

  let body: Buffer | string | undefined;
  let contentType: string | undefined;
  if (endpoint.method === 'HEAD') body = undefined;
  else if (endpoint.body !== undefined) {
    body = fill('body', endpoint.body);
    contentType = CONTENT_TYPES[DATA_FORMATS[endpoint.data_type]];
  } else if (payload !== undefined && endpoint.method !== 'GET') {
    body = payload.bytes();
    contentType = CONTENT_TYPES[payload.format];
  }
  if (body !== undefined && contentType !== undefined && !hasHeader(headers, 'content-type')) headers['Content-Type'] = contentType;
  return { method: endpoint.method, url, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * `{{name}}` places are filled with the variable's value as it is (encoded for a path), and the
 * text around them is rendered as a `[[...]]` template: one pass, so a value that happens to
 * contain `[[` or `{{` is never read as a template itself.
 */
function renderEndpointTemplate(
  stepId: string,
  where: string,
  template: string,
  scope: TemplateScope,
  variables: Record<string, string>,
  encode: (value: string) => string,
): string {
  let out = '';
  let last = 0;
  const renderText = (text: string) => {
    try {
      return renderTemplate(text, scope);
    } catch (err) {
      if (!isAppError(err)) throw err;
      throw new AppError(err.code, `${where} in step ${JSON.stringify(stepId)}: ${err.message}`, { retryable: err.retryable, cause: err });
    }
  };
  for (const match of template.matchAll(VARIABLE_PLACE)) {
    const name = match[1] ?? '';
    const value = variables[name];
    if (value === undefined) {
      throw new AppError(
        'TEMPLATE_ERROR',
        `${where} refers to variable "${name}", which neither step ${JSON.stringify(stepId)} nor the instance sets`,
        {
          retryable: false,
        },
      );
    }
    out += renderText(template.slice(last, match.index)) + encode(value);
    last = match.index + match[0].length;
  }
  return out + renderText(template.slice(last));
}
