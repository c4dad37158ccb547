import { AppError, type ConnectorConfig } from '@weft/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../net/test-support/test-server.js';
import { Payload } from '../../payload.js';
import type { HttpClient } from '../../services.js';
import { connectorShape, idempotencyKey } from './index.js';
import { type ConnectorTestOptions, connectorContext, jsonPayload, testHttpClient } from './test-support/context.js';

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
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end('{"ok":true}');
  });
});

function run(config: ConnectorConfig, input: Payload[], options: Partial<ConnectorTestOptions> = {}) {
  const { ctx, logs } = connectorContext(config, { http, ...options });
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

function post(path = '/in', extra: Partial<ConnectorConfig['request']> = {}): ConnectorConfig {
  return { request: { method: 'POST', url: `${server.origin}${path}`, ...extra } };
}

function answer(status: number, body = '', contentType = 'text/plain'): void {
  server.handle((_req, res) => {
    res.statusCode = status;
    res.setHeader('content-type', contentType);
    res.end(body);
  });
}

describe('connector shape', () => {
  it('has a 30 s time limit and no retries unless configured', () => {
    expect(connectorShape.name).toBe('connector');
    expect(connectorShape.timeoutMs?.(post())).toBe(30_000);
    expect(connectorShape.retries?.(post())).toBe(0);
    expect(connectorShape.timeoutMs?.({ ...post(), timeout_seconds: 5 })).toBe(5_000);
    expect(connectorShape.retries?.({ ...post(), retries: 2 })).toBe(2);
  });

  describe('sending', () => {
    it("sends one request per payload, in order, with the payload's bytes as the body", async () => {
      const input = [jsonPayload({ id: 1 }), jsonPayload({ id: 2 }), Payload.fromBytes(Buffer.from('a,b\n1,2\n'), 'csv')];
      const { payloads } = await run(post(), input).result;
      expect(server.requests.map((r) => r.body.toString())).toEqual(['{"id":1}', '{"id":2}', 'a,b\n1,2\n']);
      expect(server.requests.map((r) => r.headers['content-type'])).toEqual(['application/json', 'application/json', 'text/csv']);
      expect(payloads).toHaveLength(3);
    });

    it.each([
      ['xml', 'application/xml'],
      ['text', 'text/plain'],
    ] as const)('labels a %s payload %s', async (format, contentType) => {
      await run(post(), [Payload.fromBytes(Buffer.from('x'), format)]).result;
      expect(server.requests[0]?.headers['content-type']).toBe(contentType);
    });

    it('keeps a Content-Type set by the step, whatever its letter case', async () => {
      await run(post('/in', { headers: { 'content-type': 'application/vnd.api+json' } }), [jsonPayload({ id: 1 })]).result;
      expect(server.requests[0]?.headers['content-type']).toBe('application/vnd.api+json');
    });

    it('turns the response into a payload whose format follows the Content-Type, with http_status in its meta', async () => {
      answer(201, '{"created":true}', 'application/json; charset=utf-8');
      const { payloads } = await run(post(), [jsonPayload({ id: 1 }, { source: 'api' })]).result;
      const out = payloads[0]!;
      expect(out.format).toBe('json');
      expect(out.text()).toBe('{"created":true}');
      expect(out.meta).toEqual({ source: 'api', http_status: '201' });
    });

    it.each([
      ['application/problem+json', 'json'],
      ['text/xml', 'xml'],
      ['application/atom+xml', 'xml'],
      ['text/csv; header=present', 'csv'],
      ['text/html', 'text'],
      ['application/octet-stream', 'text'],
    ])('reads a %s response as %s', async (contentType, format) => {
      answer(200, 'body', contentType);
      const { payloads } = await run(post(), [jsonPayload({})]).result;
      expect(payloads[0]?.format).toBe(format);
    });

    it('reads a response without Content-Type as text', async () => {
      server.handle((_req, res) => {
        res.removeHeader('content-type');
        res.end('plain');
      });
      const { payloads } = await run(post(), [jsonPayload({})]).result;
      expect(payloads[0]?.format).toBe('text');
      expect(payloads[0]?.text()).toBe('plain');
    });

    it('sends no payload bytes with GET', async () => {
      await run({ request: { method: 'GET', url: `${server.origin}/things` } }, [jsonPayload({ id: 1 })]).result;
      expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/things' });
      expect(server.requests[0]?.body.length).toBe(0);
      expect(server.requests[0]?.headers['content-type']).toBeUndefined();
    });

    it('sends a HEAD request without a body and emits an empty payload', async () => {
      const { payloads } = await run({ request: { method: 'HEAD', url: `${server.origin}/things` } }, [jsonPayload({ id: 1 })]).result;
      expect(server.requests[0]?.method).toBe('HEAD');
      expect(payloads[0]?.isEmpty).toBe(true);
      expect(payloads[0]?.meta.http_status).toBe('200');
    });
  });

  describe('an empty bucket', () => {
    it('makes one request without a payload and emits the response', async () => {
      answer(200, '[{"id":7}]', 'application/json');
      const { payloads } = await run({ request: { method: 'GET', url: `${server.origin}/customers` } }, []).result;
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.body.length).toBe(0);
      expect(payloads).toHaveLength(1);
      expect(payloads[0]?.text()).toBe('[{"id":7}]');
      expect(payloads[0]?.meta).toEqual({ http_status: '200' });
    });

    it('sends a written body when there is no payload', async () => {
      await run(post('/search', { body: '{"since":"[[run.queued_at]]"}' }), []).result;
      expect(server.requests[0]?.body.toString()).toBe('{"since":"2030-01-02T03:04:05.000Z"}');
      expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    });
  });

  describe('templates', () => {
    it('renders the URL, query, headers and body from the payload, meta, flow variables and run', async () => {
      const config: ConnectorConfig = {
        request: {
          method: 'PUT',
          url: '[[flow.base]]/customers/[[payload.id]]',
          query: { source: '[[meta.source]]', run: '[[run.id]]' },
          headers: { 'X-Customer': '[[payload.name]]', Authorization: 'Bearer [[flow.token]]' },
          body: '<customer id="[[payload.id]]"/>',
        },
      };
      await run(config, [jsonPayload({ id: 42, name: 'Ada' }, { source: 'shop' })], {
        variables: { base: server.origin, token: 'sekrit' },
        runId: 'run-77',
      }).result;
      const req = server.requests[0]!;
      expect(req.method).toBe('PUT');
      expect(req.url).toBe('/customers/42?source=shop&run=run-77');
      expect(req.headers['x-customer']).toBe('Ada');
      expect(req.headers.authorization).toBe('Bearer sekrit');
      expect(req.body.toString()).toBe('<customer id="42"/>');
      expect(req.headers['content-type']).toBe('application/xml');
    });

    it('keeps a query string already in the URL and encodes rendered query values', async () => {
      await run(post('/in?fixed=1', { query: { q: '[[payload.q]]' } }), [jsonPayload({ q: 'a&b c' })]).result;
      expect(server.requests[0]?.url).toBe('/in?fixed=1&q=a%26b+c');
    });

    it('fails, naming the setting, when the URL is not absolute http(s) after templating', async () => {
      const bad = ['example.com', 'ftp://example.com', ''];
      for (const base of bad) {
        const err = await failure(run({ request: { method: 'GET', url: '[[flow.base]]/x' } }, [], { variables: { base } }).result);
        expect(err.retryable).toBe(false);
        expect(err.message).toContain('request.url of step "send" must be an absolute http(s) URL');
        expect(err.message).toContain(JSON.stringify(`${base}/x`));
      }
      expect(server.requests).toHaveLength(0);
    });

    it('fails, naming the setting, when a template refers to something that does not exist', async () => {
      const err = await failure(run({ request: { method: 'GET', url: `${server.origin}/[[flow.missing]]` } }, []).result);
      expect(err.code).toBe('TEMPLATE_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('request.url of step "send"');
      expect(err.message).toContain('missing');
      expect(server.requests).toHaveLength(0);
    });

    it('fails, naming the header, when a rendered header value holds a line break', async () => {
      const config = post('/in', { headers: { 'X-Note': '[[payload.note]]' } });
      const err = await failure(run(config, [jsonPayload({ note: 'one\r\nX-Injected: yes' })]).result);
      expect(err.code).toBe('TEMPLATE_ERROR');
      expect(err.message).toContain('request.headers.X-Note of step "send"');
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('Idempotency-Key', () => {
    function keysOf(requests: TestServer['requests']): string[] {
      return requests.map((r) => String(r.headers['idempotency-key']));
    }

    it('is the same on every attempt and distinct per payload', async () => {
      const input = () => [jsonPayload({ id: 1 }), jsonPayload({ id: 2 })];
      await run(post(), input(), { attempt: 1 }).result;
      await run(post(), input(), { attempt: 2 }).result;
      const keys = keysOf(server.requests);
      expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(keys[0]).not.toBe(keys[1]);
      expect(keys.slice(2)).toEqual(keys.slice(0, 2));
      expect(keys[0]).toBe(idempotencyKey('run-1', 'send', 0));
    });

    it('differs between runs and between step executions', async () => {
      await run(post(), [jsonPayload({})], { runId: 'run-a' }).result;
      await run(post(), [jsonPayload({})], { runId: 'run-b' }).result;
      await run(post(), [jsonPayload({})], { runId: 'run-a', itemKey: 'send#2' }).result;
      expect(new Set(keysOf(server.requests)).size).toBe(3);
    });

    it('is sent on a receive request too', async () => {
      await run({ request: { method: 'GET', url: server.origin } }, []).result;
      expect(keysOf(server.requests)[0]).toBe(idempotencyKey('run-1', 'send', 0));
    });

    it('leaves a key set by the step alone', async () => {
      await run(post('/in', { headers: { 'idempotency-key': 'order-[[payload.id]]' } }), [jsonPayload({ id: 9 })]).result;
      expect(keysOf(server.requests)).toEqual(['order-9']);
    });
  });

  describe('statuses', () => {
    it('fails without retry on a 4xx, quoting the start of the body', async () => {
      const long = `invalid customer ${'x'.repeat(500)}`;
      for (const status of [400, 401, 404, 422]) {
        answer(status, long);
        const err = await failure(run(post(), [jsonPayload({})]).result);
        expect(err.code).toBe('CONNECTOR_HTTP_ERROR');
        expect(err.retryable).toBe(false);
        expect(err.message).toBe(`POST ${server.origin}/in answered ${status}: ${long.slice(0, 200)}…`);
      }
    });

    it.each([500, 502, 503, 408, 429])('fails with a retryable error on %i', async (status) => {
      answer(status, 'try later');
      const err = await failure(run(post(), [jsonPayload({})]).result);
      expect(err.code).toBe('CONNECTOR_HTTP_ERROR');
      expect(err.retryable).toBe(true);
      expect(err.message).toBe(`POST ${server.origin}/in answered ${status}: try later`);
    });

    it('fails on a redirect without following it', async () => {
      server.handle((_req, res) => {
        res.statusCode = 302;
        res.setHeader('location', 'http://169.254.169.254/latest/meta-data/');
        res.end();
      });
      const err = await failure(run(post(), [jsonPayload({})]).result);
      expect(err.code).toBe('CONNECTOR_HTTP_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('answered 302 (redirect to http://169.254.169.254/latest/meta-data/, not followed)');
      expect(server.requests).toHaveLength(1);
    });

    it('treats every status as success with allow_unsuccessful_statuses: true', async () => {
      answer(500, 'boom');
      const { payloads } = await run({ ...post(), allow_unsuccessful_statuses: true }, [jsonPayload({})]).result;
      expect(payloads[0]?.text()).toBe('boom');
      expect(payloads[0]?.meta.http_status).toBe('500');
    });

    it('treats only the listed statuses as success with allow_unsuccessful_statuses: [..]', async () => {
      const config: ConnectorConfig = { ...post(), allow_unsuccessful_statuses: [404, 409] };
      answer(404, 'not here');
      const { payloads } = await run(config, [jsonPayload({})]).result;
      expect(payloads[0]?.meta.http_status).toBe('404');
      answer(400, 'bad');
      expect((await failure(run(config, [jsonPayload({})]).result)).retryable).toBe(false);
      answer(503, 'down');
      expect((await failure(run(config, [jsonPayload({})]).result)).retryable).toBe(true);
    });

    it('stops at the first failing payload', async () => {
      let n = 0;
      server.handle((_req, res) => {
        n += 1;
        res.statusCode = n === 2 ? 500 : 200;
        res.end();
      });
      await failure(run(post(), [jsonPayload({ id: 1 }), jsonPayload({ id: 2 }), jsonPayload({ id: 3 })]).result);
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('wrapping', () => {
    it('emits the first element of a JSON array with wrapping "first"', async () => {
      answer(200, '[{"id":1},{"id":2}]', 'application/json');
      const { payloads } = await run({ ...post(), wrapping: 'first' }, [jsonPayload({})]).result;
      expect(payloads[0]?.format).toBe('json');
      expect(payloads[0]?.value()).toEqual({ id: 1 });
      expect(payloads[0]?.meta.http_status).toBe('200');
    });

    it('leaves a JSON object as it is with wrapping "first"', async () => {
      answer(200, '{"id":1}', 'application/json');
      const { payloads } = await run({ ...post(), wrapping: 'first' }, [jsonPayload({})]).result;
      expect(payloads[0]?.text()).toBe('{"id":1}');
    });

    it('emits an empty payload for an empty JSON array with wrapping "first"', async () => {
      answer(200, '[]', 'application/json');
      const { payloads } = await run({ ...post(), wrapping: 'first' }, [jsonPayload({})]).result;
      expect(payloads[0]?.isEmpty).toBe(true);
    });

    it('emits the array as it is with wrapping "raw"', async () => {
      answer(200, '[{"id":1},{"id":2}]', 'application/json');
      const { payloads } = await run({ ...post(), wrapping: 'raw' }, [jsonPayload({})]).result;
      expect(payloads[0]?.text()).toBe('[{"id":1},{"id":2}]');
    });
  });

  describe('logging', () => {
    it('logs each request with method, URL, status and duration', async () => {
      const { result, logs } = run(post(), [jsonPayload({ id: 1 }), jsonPayload({ id: 2 })]);
      await result;
      expect(logs).toHaveLength(2);
      expect(logs[0]).toMatchObject({
        level: 'info',
        data: { method: 'POST', url: `${server.origin}/in`, status: 200, payload_index: 0 },
      });
      expect(logs[0]?.message).toMatch(new RegExp(`^POST ${server.origin}/in answered 200 in \\d+ ms$`));
      expect(typeof logs[0]?.data?.duration_ms).toBe('number');
    });

    it('masks credentials in the URL and never logs header values', async () => {
      const config = post('/in?api_key=k3y', {
        query: { token: '[[flow.token]]', page: '2' },
        headers: { Authorization: 'Bearer [[flow.token]]', 'X-Api-Key': 'h3ader' },
      });
      answer(401, 'no');
      const { result, logs } = run(config, [jsonPayload({})], { variables: { token: 't0ken' } });
      const err = await failure(result);
      const logged = JSON.stringify(logs);
      for (const secret of ['k3y', 't0ken', 'h3ader']) {
        expect(logged).not.toContain(secret);
        expect(err.message).not.toContain(secret);
      }
      expect(logs[0]?.data?.url).toBe(`${server.origin}/in?api_key=***&token=***&page=2`);
      expect(logs[0]?.level).toBe('warning');
    });

    it('logs a request that fails to get an answer', async () => {
      const closed = testHttpClient([]);
      const { result, logs } = run(post(), [jsonPayload({})], { http: closed });
      await failure(result);
      await closed.close();
      expect(logs[0]).toMatchObject({ level: 'warning', data: { status: null, code: 'EGRESS_DENIED' } });
    });
  });

  describe('limits', () => {
    it('fails with a retryable timeout when the target answers later than timeout_seconds', async () => {
      server.handle(async (_req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        res.end('late');
      });
      const started = Date.now();
      const err = await failure(run({ ...post(), timeout_seconds: 1 }, [jsonPayload({})]).result);
      expect(err.code).toBe('STEP_TIMEOUT');
      expect(err.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_400);
    });

    it('is refused before connecting when the target is not allow-listed', async () => {
      const closed = testHttpClient([]);
      try {
        const before = server.connections;
        const err = await failure(run(post(), [jsonPayload({})], { http: closed }).result);
        expect(err.code).toBe('EGRESS_DENIED');
        expect(err.retryable).toBe(false);
        expect(server.connections).toBe(before);
        expect(server.requests).toHaveLength(0);
      } finally {
        await closed.close();
      }
    });

    it('fails with a retryable network error when nothing listens', async () => {
      const gone = await startTestServer();
      const url = `${gone.origin}/in`;
      await gone.close();
      const err = await failure(run({ request: { method: 'POST', url } }, [jsonPayload({})]).result);
      expect(err.code).toBe('CONNECTOR_NETWORK_ERROR');
      expect(err.retryable).toBe(true);
    });
  });
});
