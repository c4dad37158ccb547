import { AppError, type ConnectorConfig } from '@weft/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../net/test-support/test-server.js';
import type { Payload } from '../../payload.js';
import type { HttpClient } from '../../services.js';
import type { StepLog } from '../../shape.js';
import type { ConnectorResolver, ResolvedAuth, ResolvedEndpoint, ResolvedEndpointDefinition } from './endpoint.js';
import { connectorShape } from './index.js';
import { type ConnectorTestOptions, connectorContext, jsonPayload, testHttpClient } from './test-support/context.js';

const CANARY = 'CANARY-SECRET-4242';

let server: TestServer;
let http: HttpClient;

beforeAll(async () => {
  server = await startTestServer();
  http = testHttpClient();
});

afterAll(async () => {
  await http.close();
  await server.close();
});

beforeEach(() => {
  server.requests.length = 0;
  server.handle((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
});

function endpoint(overrides: Partial<ResolvedEndpointDefinition> = {}): ResolvedEndpointDefinition {
  return { name: 'orders', method: 'GET', path: '/orders', query: {}, headers: {}, data_type: 'json', direction: 'receive', ...overrides };
}

/** A stand-in for the server's resolver: one instance "shop" whose connector has the given endpoints. */
function resolver(
  endpoints: ResolvedEndpointDefinition[],
  auth: ResolvedAuth = { type: 'none', credentials: {}, settings: {} },
  variables = {},
) {
  const calls: string[] = [];
  const port: ConnectorResolver & { calls: string[] } = {
    calls,
    async resolve(companyId, instanceId, endpointName): Promise<ResolvedEndpoint> {
      calls.push(`${companyId}/${instanceId}/${endpointName}`);
      if (instanceId !== 'shop') throw new AppError('NOT_FOUND', `instance "${instanceId}" does not exist`, { retryable: false });
      const found = endpoints.find((e) => e.name === endpointName);
      if (found === undefined) throw new AppError('NOT_FOUND', `instance "shop" has no endpoint "${endpointName}"`, { retryable: false });
      return { connectorId: 'c-1', instanceId, baseUrl: `${server.origin}/api`, variables, endpoint: found, auth };
    },
  };
  return port;
}

function config(extra: Partial<ConnectorConfig> = {}): ConnectorConfig {
  return { instance: 'shop', endpoint: 'orders', ...extra };
}

function run(cfg: ConnectorConfig, connectors: ConnectorResolver, input: Payload[] = [], options: Partial<ConnectorTestOptions> = {}) {
  const { ctx, logs } = connectorContext(cfg, { http, connectors, ...options });
  return { result: connectorShape.execute(ctx, input), logs };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the step to fail');
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { status, body: JSON.stringify(body), headers };
}

/** Answers each request with the next of `answers`, by the order they arrive; the last one repeats. */
function answerInTurn(answers: Array<{ status: number; body: string; headers?: Record<string, string> }>): void {
  let next = 0;
  server.handle((_req, res) => {
    const answer = answers[Math.min(next, answers.length - 1)];
    next += 1;
    if (answer === undefined) throw new Error('no answer');
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json');
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.end(answer.body);
  });
}

function values(payloads: Payload[]): unknown[] {
  return payloads.map((p) => p.value());
}

function everyLogText(logs: StepLog[]): string {
  return JSON.stringify(logs);
}

describe('connector shape with an instance endpoint', () => {
  it('builds the request from the base URL, the path and the endpoint variables', async () => {
    const connectors = resolver(
      [
        endpoint({
          name: 'update',
          method: 'PUT',
          path: '/{{tenant}}/orders/{{id}}',
          query: { since: { value: '[[run.queued_at]]' }, mode: { value: '{{mode}}' }, unset: {} },
          headers: { 'X-Order': { value: '[[payload.id]]' } },
          body: '{"id":"[[payload.id]]","note":"{{note}}"}',
          direction: 'send',
        }),
      ],
      undefined,
      { tenant: 'acme', mode: 'instance' },
    );
    const cfg = config({ endpoint: 'update', variables: { id: '[[payload.id]]', mode: 'step', note: 'a/b' } });
    const { result } = run(cfg, connectors, [jsonPayload({ id: 'o 1' })]);
    const { payloads } = await result;
    expect(values(payloads)).toEqual([{ ok: true }]);
    const [req] = server.requests;
    expect(req?.method).toBe('PUT');
    expect(req?.url).toBe('/api/acme/orders/o%201?since=2030-01-02T03%3A04%3A05.000Z&mode=step');
    expect(req?.headers['x-order']).toBe('o 1');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(req?.body.toString() ?? '')).toEqual({ id: 'o 1', note: 'a/b' });
    expect(connectors.calls).toEqual(['company-1/shop/update']);
  });

  it('sends each payload of a send endpoint as the body, one request per payload', async () => {
    const connectors = resolver([endpoint({ name: 'push', method: 'POST', direction: 'send' })]);
    const { result } = run(config({ endpoint: 'push' }), connectors, [jsonPayload({ n: 1 }), jsonPayload({ n: 2 })]);
    await result;
    expect(server.requests.map((r) => r.body.toString())).toEqual(['{"n":1}', '{"n":2}']);
    expect(new Set(server.requests.map((r) => r.headers['idempotency-key'])).size).toBe(2);
  });

  describe('auth', () => {
    it('sends no credentials for auth none', async () => {
      const { result } = run(config(), resolver([endpoint()]));
      await result;
      expect(server.requests[0]?.headers.authorization).toBeUndefined();
    });

    it('sends basic auth as an Authorization: Basic header', async () => {
      const auth: ResolvedAuth = { type: 'basic', credentials: { username: 'ann', password: CANARY }, settings: {} };
      const { result, logs } = run(config(), resolver([endpoint()], auth));
      await result;
      expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`ann:${CANARY}`).toString('base64')}`);
      expect(everyLogText(logs)).not.toContain(CANARY);
    });

    it('sends a bearer token, in Authorization by default or in the header and with the prefix the method names', async () => {
      const plain: ResolvedAuth = { type: 'bearer', credentials: { token: CANARY }, settings: {} };
      await run(config(), resolver([endpoint()], plain)).result;
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);

      const custom: ResolvedAuth = { type: 'bearer', credentials: { token: CANARY }, settings: { header: 'X-Token', prefix: '' } };
      await run(config(), resolver([endpoint()], custom)).result;
      expect(server.requests[1]?.headers['x-token']).toBe(CANARY);
      expect(server.requests[1]?.headers.authorization).toBeUndefined();
    });

    it('sends an API key in the header the method names', async () => {
      const auth: ResolvedAuth = { type: 'api_key', credentials: { key: CANARY }, settings: { in: 'header', param_name: 'X-Api-Key' } };
      await run(config(), resolver([endpoint()], auth)).result;
      expect(server.requests[0]?.headers['x-api-key']).toBe(CANARY);
    });

    it('sends an API key as a query parameter and masks it in the log', async () => {
      const auth: ResolvedAuth = { type: 'api_key', credentials: { key: CANARY }, settings: { in: 'query', param_name: 'k' } };
      const { result, logs } = run(config(), resolver([endpoint()], auth));
      await result;
      expect(server.requests[0]?.url).toBe(`/api/orders?k=${CANARY}`);
      expect(logs[0]?.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/orders\?k=\*\*\* answered 200 in \d+ ms$/);
      expect(everyLogText(logs)).not.toContain(CANARY);
    });

    it('sends every header of a custom header set', async () => {
      const auth: ResolvedAuth = {
        type: 'custom_headers',
        credentials: { 'X-Client': 'client-7', 'X-Signature': CANARY },
        settings: { headers: ['X-Client', 'X-Signature'] },
      };
      await run(config(), resolver([endpoint()], auth)).result;
      expect(server.requests[0]?.headers['x-client']).toBe('client-7');
      expect(server.requests[0]?.headers['x-signature']).toBe(CANARY);
    });

    it('fails without sending when the instance lacks a credential the method needs', async () => {
      const auth: ResolvedAuth = { type: 'bearer', credentials: {}, settings: {} };
      const err = await failure(run(config(), resolver([endpoint()], auth)).result);
      expect(err.message).toBe('instance "shop" has no credential "token" for its bearer auth method; set it on the instance');
      expect(err.retryable).toBe(false);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('OAuth 2 client credentials', () => {
    function oauthAuth(settings: Record<string, unknown> = {}): ResolvedAuth {
      return {
        type: 'oauth2_client_credentials',
        credentials: { client_id: 'weft-client', client_secret: CANARY },
        settings: { token_url: `${server.origin}/token`, scope: 'orders:read', ...settings },
      };
    }

    /** Issues tok-1, tok-2, … and accepts only the tokens in `valid`. */
    function oauthServer(valid: Set<string>, expiresIn = 3600) {
      let issued = 0;
      server.handle((req, res) => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/token') {
          issued += 1;
          res.end(JSON.stringify({ access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: expiresIn }));
          return;
        }
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        res.statusCode = valid.has(token) ? 200 : 401;
        res.end(valid.has(token) ? '{"ok":true}' : '{"error":"invalid_token"}');
      });
    }

    it('fetches a token with the client credentials and caches it until it expires', async () => {
      oauthServer(new Set(['tok-1']));
      const connectors = resolver([endpoint()], oauthAuth());
      const first = run(config(), connectors);
      await first.result;
      await run(config(), connectors).result;
      const tokenRequests = server.requests.filter((r) => r.url === '/token');
      expect(tokenRequests).toHaveLength(1);
      const form = new URLSearchParams(tokenRequests[0]?.body.toString());
      expect(Object.fromEntries(form)).toEqual({
        grant_type: 'client_credentials',
        scope: 'orders:read',
        client_id: 'weft-client',
        client_secret: CANARY,
      });
      expect(server.requests.filter((r) => r.url === '/api/orders').map((r) => r.headers.authorization)).toEqual([
        'Bearer tok-1',
        'Bearer tok-1',
      ]);
      expect(everyLogText(first.logs)).not.toContain(CANARY);
      expect(everyLogText(first.logs)).not.toContain('tok-1');
    });

    it('fetches a new token once the cached one has expired', async () => {
      oauthServer(new Set(['tok-1', 'tok-2']), 1);
      const connectors = resolver([endpoint()], oauthAuth());
      await run(config(), connectors).result;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await run(config(), connectors).result;
      expect(server.requests.filter((r) => r.url === '/token')).toHaveLength(2);
    });

    it('sends the client credentials as Basic auth when the method says so', async () => {
      oauthServer(new Set(['tok-1']));
      await run(config(), resolver([endpoint()], oauthAuth({ client_auth: 'basic' }))).result;
      const tokenRequest = server.requests.find((r) => r.url === '/token');
      expect(tokenRequest?.headers.authorization).toBe(`Basic ${Buffer.from(`weft-client:${CANARY}`).toString('base64')}`);
      expect(new URLSearchParams(tokenRequest?.body.toString()).has('client_secret')).toBe(false);
    });

    it('refreshes the token once on a 401 and sends the request again', async () => {
      oauthServer(new Set(['tok-2']));
      const { result, logs } = run(config(), resolver([endpoint()], oauthAuth()));
      expect(values((await result).payloads)).toEqual([{ ok: true }]);
      expect(server.requests.map((r) => `${r.url} ${r.headers.authorization ?? ''}`.trim())).toEqual([
        '/token',
        '/api/orders Bearer tok-1',
        '/token',
        '/api/orders Bearer tok-2',
      ]);
      expect(everyLogText(logs)).not.toMatch(/tok-\d/);
    });

    it('fails when the fresh token is refused too, without a third try', async () => {
      oauthServer(new Set());
      const err = await failure(run(config(), resolver([endpoint()], oauthAuth())).result);
      expect(err.code).toBe('CONNECTOR_HTTP_ERROR');
      expect(err.message).toMatch(/answered 401/);
      expect(err.retryable).toBe(false);
      expect(server.requests.filter((r) => r.url === '/api/orders')).toHaveLength(2);
    });

    it('fails with the token endpoint status, never quoting its body', async () => {
      server.handle((_req, res) => {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'invalid_client', echo: CANARY }));
      });
      const { result, logs } = run(config(), resolver([endpoint()], oauthAuth()));
      const err = await failure(result);
      expect(err.message).toMatch(
        /^the OAuth 2 token request to http:\/\/127\.0\.0\.1:\d+\/token answered 400 without an access token \(invalid_client\)$/,
      );
      expect(err.message + everyLogText(logs)).not.toContain(CANARY);
    });
  });

  describe('pagination', () => {
    it('follows a Link header rel="next" until there is none, one payload per page', async () => {
      server.handle((req, res) => {
        const page = Number(new URL(req.url, server.origin).searchParams.get('p') ?? '1');
        res.setHeader('content-type', 'application/json');
        if (page < 3) res.setHeader('link', `</api/orders?p=${page + 1}>; rel="next", </api/orders?p=3>; rel="last"`);
        res.end(JSON.stringify([{ page }]));
      });
      const connectors = resolver([endpoint({ pagination: { type: 'link_header' } })]);
      const { result } = run(config(), connectors);
      const { payloads } = await result;
      expect(values(payloads)).toEqual([[{ page: 1 }], [{ page: 2 }], [{ page: 3 }]]);
      expect(payloads.map((p) => p.meta.page)).toEqual(['1', '2', '3']);
      expect(new Set(server.requests.map((r) => r.headers['idempotency-key'])).size).toBe(3);
    });

    it('refuses to follow a next link to another origin with the credentials', async () => {
      server.handle((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('link', '<http://evil.example/steal>; rel="next"');
        res.end('[]');
      });
      const auth: ResolvedAuth = { type: 'bearer', credentials: { token: CANARY }, settings: {} };
      const err = await failure(run(config(), resolver([endpoint({ pagination: { type: 'link_header' } })], auth)).result);
      expect(err.message).toMatch(/^the next page is on http:\/\/evil\.example, not on http:\/\/127\.0\.0\.1:\d+/);
    });

    it('follows a next URL at a body path', async () => {
      answerInTurn([json(200, { items: [1], links: { next: '/api/orders?after=1' } }), json(200, { items: [2], links: { next: null } })]);
      const { result } = run(config(), resolver([endpoint({ pagination: { type: 'next_url', next_path: 'links.next' } })]));
      expect(values((await result).payloads)).toEqual([
        { items: [1], links: { next: '/api/orders?after=1' } },
        { items: [2], links: { next: null } },
      ]);
      expect(server.requests.map((r) => r.url)).toEqual(['/api/orders', '/api/orders?after=1']);
    });

    it('sends a next token from the body as a query parameter until it is empty', async () => {
      answerInTurn([json(200, { data: [1], next: 'abc' }), json(200, { data: [2], next: 'def' }), json(200, { data: [3], next: '' })]);
      const ep = endpoint({ query: { status: { value: 'open' } }, pagination: { type: 'next_token', next_path: 'next', param: 'token' } });
      const { result } = run(config(), resolver([ep]));
      expect((await result).payloads).toHaveLength(3);
      expect(server.requests.map((r) => r.url)).toEqual([
        '/api/orders?status=open',
        '/api/orders?status=open&token=abc',
        '/api/orders?status=open&token=def',
      ]);
    });

    it('sends a cursor from the body until it is absent', async () => {
      answerInTurn([json(200, { rows: [1], meta: { cursor: 'c1' } }), json(200, { rows: [2], meta: {} })]);
      const { result } = run(config(), resolver([endpoint({ pagination: { type: 'cursor', next_path: 'meta.cursor' } })]));
      expect((await result).payloads).toHaveLength(2);
      expect(server.requests.map((r) => r.url)).toEqual(['/api/orders', '/api/orders?cursor=c1']);
    });

    it('counts page numbers up until a page comes back empty, which is not emitted', async () => {
      answerInTurn([json(200, [1, 2]), json(200, [3]), json(200, [])]);
      const { result } = run(config(), resolver([endpoint({ pagination: { type: 'page_number', param: 'page' } })]));
      expect(values((await result).payloads)).toEqual([[1, 2], [3]]);
      expect(server.requests.map((r) => r.url)).toEqual(['/api/orders?page=1', '/api/orders?page=2', '/api/orders?page=3']);
    });

    it('moves the offset by the page size and stops at a short page', async () => {
      answerInTurn([json(200, { items: [1, 2] }), json(200, { items: [3, 4] }), json(200, { items: [5] })]);
      const { result } = run(config(), resolver([endpoint({ pagination: { type: 'limit_offset', size: 2 } })]));
      expect((await result).payloads).toHaveLength(3);
      expect(server.requests.map((r) => r.url)).toEqual([
        '/api/orders?offset=0&limit=2',
        '/api/orders?offset=2&limit=2',
        '/api/orders?offset=4&limit=2',
      ]);
    });

    it('stops at max_pages with a warning when pages keep coming', async () => {
      server.handle((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ next: `${req.url.length}` }));
      });
      const { result, logs } = run(
        config(),
        resolver([endpoint({ pagination: { type: 'next_token', next_path: 'next', param: 'after', max_pages: 3 } })]),
      );
      expect((await result).payloads).toHaveLength(3);
      expect(server.requests).toHaveLength(3);
      const warning = logs.find((l) => l.message.startsWith('stopped after'));
      expect(warning?.level).toBe('warning');
      expect(warning?.message).toMatch(
        /^stopped after 3 pages \(max_pages\) although http:\/\/127\.0\.0\.1:\d+\/api\/orders\?after=\d+ was next/,
      );
    });

    it('stops at 100 pages when the endpoint sets no cap', async () => {
      server.handle((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"next":"again"}');
      });
      const { result, logs } = run(config(), resolver([endpoint({ pagination: { type: 'cursor', next_path: 'next' } })]));
      expect((await result).payloads).toHaveLength(100);
      expect(logs.filter((l) => l.level === 'warning')).toHaveLength(1);
    });

    it('does not page a send endpoint', async () => {
      answerInTurn([json(200, { next: 'x' })]);
      const ep = endpoint({ method: 'POST', direction: 'send', pagination: { type: 'next_token', next_path: 'next' } });
      await run(config(), resolver([ep]), [jsonPayload({ a: 1 })]).result;
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('429 Retry-After', () => {
    it('waits the seconds Retry-After names once and sends the request again', async () => {
      answerInTurn([json(429, { error: 'slow down' }, { 'retry-after': '2' }), json(200, { ok: true })]);
      const waits: number[] = [];
      const sleep = async (ms: number) => {
        waits.push(ms);
      };
      const { result, logs } = run(config(), resolver([endpoint()]), [], { sleep });
      expect(values((await result).payloads)).toEqual([{ ok: true }]);
      expect(waits).toEqual([2000]);
      expect(server.requests).toHaveLength(2);
      expect(logs.map((l) => l.message)).toContain("waiting 2 s as the target's Retry-After asks, then sending again");
    });

    it('fails the attempt as retryable when the target still answers 429 after the wait', async () => {
      answerInTurn([json(429, {}, { 'retry-after': '1' })]);
      const { result } = run(config(), resolver([endpoint()]), [], { sleep: async () => {} });
      const err = await failure(result);
      expect(err.retryable).toBe(true);
      expect(server.requests).toHaveLength(2);
    });

    it('leaves a Retry-After over 60 s to the step retries', async () => {
      answerInTurn([json(429, {}, { 'retry-after': '120' })]);
      const waits: number[] = [];
      const { result } = run(config(), resolver([endpoint()]), [], { sleep: async (ms) => void waits.push(ms) });
      const err = await failure(result);
      expect(err.retryable).toBe(true);
      expect(waits).toEqual([]);
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('masking', () => {
    it('never logs or throws a credential, even when the target echoes it', async () => {
      server.handle((req, res) => {
        res.statusCode = 403;
        res.setHeader('content-type', 'text/plain');
        res.setHeader('location', `/api/login?key=${CANARY}`);
        res.end(`forbidden for ${req.headers['x-api-key']} at ${req.url}`);
      });
      const auth: ResolvedAuth = { type: 'api_key', credentials: { key: CANARY }, settings: { in: 'header', param_name: 'X-Api-Key' } };
      const ep = endpoint({ query: { token: { value: '{{echo}}' } } });
      const { result, logs } = run(config({ variables: { echo: CANARY } }), resolver([ep], auth));
      const err = await failure(result);
      expect(err.message).toMatch(
        /^GET http:\/\/127\.0\.0\.1:\d+\/api\/orders\?token=\*\*\* answered 403: forbidden for \*\*\* at \/api\/orders\?token=\*\*\*$/,
      );
      expect(err.message).not.toContain(CANARY);
      expect(logs.length).toBeGreaterThan(0);
      expect(everyLogText(logs)).not.toContain(CANARY);
    });

    it('masks a credential in the message of a refused request', async () => {
      const auth: ResolvedAuth = { type: 'api_key', credentials: { key: CANARY }, settings: { in: 'query', param_name: 'k' } };
      const guarded = testHttpClient([]);
      try {
        const { result, logs } = run(config(), resolver([endpoint()], auth), [], { http: guarded });
        const err = await failure(result);
        expect(err.code).toBe('EGRESS_DENIED');
        expect(err.message + everyLogText(logs)).not.toContain(CANARY);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('bad configs', () => {
    it('fails clearly when the endpoint does not exist', async () => {
      const err = await failure(run(config({ endpoint: 'nope' }), resolver([endpoint()])).result);
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toBe('step "send": instance "shop" has no endpoint "nope"');
      expect(err.retryable).toBe(false);
    });

    it('fails clearly when the engine has no connectors service', async () => {
      const { ctx } = connectorContext(config(), { http });
      const err = await failure(connectorShape.execute(ctx, []));
      expect(err.message).toBe('step "send" names an instance, but this engine has no connectors service');
    });

    it('fails when the config has neither a request nor an instance endpoint', async () => {
      const err = await failure(run({}, resolver([endpoint()])).result);
      expect(err.message).toBe('step "send" needs either request, or instance and endpoint');
    });

    it('names a required parameter that no variable fills', async () => {
      const err = await failure(run(config(), resolver([endpoint({ query: { since: { required: true } } })])).result);
      expect(err.message).toBe('variables.since of step "send" is required by query of endpoint "orders"');
      expect(server.requests).toHaveLength(0);
    });

    it('names a {{variable}} that neither the step nor the instance sets', async () => {
      const err = await failure(run(config(), resolver([endpoint({ path: '/orders/{{id}}' })])).result);
      expect(err.code).toBe('TEMPLATE_ERROR');
      expect(err.message).toBe('path of endpoint "orders" refers to variable "id", which neither step "send" nor the instance sets');
    });

    it('refuses a base URL and path that make no absolute http(s) URL', async () => {
      const connectors: ConnectorResolver = {
        resolve: async () => ({
          connectorId: 'c',
          instanceId: 'shop',
          baseUrl: 'ftp://files.example',
          variables: {},
          endpoint: endpoint(),
          auth: { type: 'none', credentials: {}, settings: {} },
        }),
      };
      const err = await failure(run(config(), connectors).result);
      expect(err.message).toMatch(/^base URL and path of endpoint "orders" of step "send" must be an absolute http\(s\) URL/);
    });
  });
});
