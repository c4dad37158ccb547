import type dns from 'node:dns';
import { createServer } from 'node:net';
import { AppError } from '@weft/schema';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest } from '../services.js';
import { createHttpClient, describeUrl } from './http-client.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';

let server: TestServer;
const clients: HttpClient[] = [];

function client(options: Parameters<typeof createHttpClient>[0]): HttpClient {
  const c = createHttpClient(options);
  clients.push(c);
  return c;
}

function get(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url, headers: {}, timeoutMs: 5_000, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

/** A resolver that answers from a script instead of DNS, to play a rebinding attacker. */
function scriptedLookup(answers: string[][]): { lookup: typeof dns.lookup; calls: string[] } {
  const calls: string[] = [];
  const lookup = ((hostname: string, _options: unknown, callback: (err: null, addresses: dns.LookupAddress[]) => void) => {
    calls.push(hostname);
    const next = answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
    process.nextTick(() =>
      callback(
        null,
        next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      ),
    );
  }) as unknown as typeof dns.lookup;
  return { lookup, calls };
}

beforeAll(async () => {
  server = await startTestServer();
});

beforeEach(() => {
  server.handle((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  server.requests.length = 0;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await server.close();
});

describe('createHttpClient', () => {
  it('reaches an allow-listed address and returns status, headers and body', async () => {
    const http = client({ allow: ['127.0.0.1'] });
    const res = await http.request(get(`${server.origin}/things?x=1`, { headers: { 'x-test': 'yes' } }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body.toString()).toBe('{"ok":true}');
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/things?x=1' });
    expect(server.requests[0]?.headers['x-test']).toBe('yes');
  });

  it('sends a request body', async () => {
    const http = client({ allow: ['127.0.0.1'] });
    await http.request({
      method: 'POST',
      url: `${server.origin}/in`,
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
      timeoutMs: 5_000,
    });
    expect(server.requests[0]?.body.toString()).toBe('hello');
  });

  it('refuses a loopback address that is not allow-listed before connecting', async () => {
    const before = server.connections;
    const err = await failure(client({ allow: [] }).request(get(`${server.origin}/`)));
    expect(err.code).toBe('EGRESS_DENIED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('127.0.0.1');
    expect(server.connections).toBe(before);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a host name that resolves to a loopback address', async () => {
    const before = server.connections;
    const err = await failure(client({ allow: [] }).request(get(`http://localhost:${server.port}/`)));
    expect(err.code).toBe('EGRESS_DENIED');
    expect(err.message).toContain('localhost');
    expect(server.connections).toBe(before);
  });

  it('reaches a host name when the allow-list names it', async () => {
    // localhost may resolve to ::1 as well as 127.0.0.1, so the server only has to be on one of them.
    const res = await client({ allow: ['localhost'] }).request(get(`http://localhost:${server.port}/`));
    expect(res.status).toBe(200);
  });

  it.each([
    ['decimal', (port: number) => `http://2130706433:${port}/`],
    ['hex short', (port: number) => `http://0x7f.1:${port}/`],
    ['octal', (port: number) => `http://0177.0.0.1:${port}/`],
    ['short', (port: number) => `http://127.1:${port}/`],
    ['IPv4-mapped IPv6', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ['IPv4-mapped IPv6 in hex', (port: number) => `http://[::ffff:7f00:1]:${port}/`],
  ])('refuses loopback written in %s notation before connecting', async (_name, url) => {
    const before = server.connections;
    const err = await failure(client({ allow: [] }).request(get(url(server.port))));
    expect(err.code).toBe('EGRESS_DENIED');
    expect(server.connections).toBe(before);
  });

  it('reaches the allow-listed address however it is written', async () => {
    const http = client({ allow: ['127.0.0.1'] });
    expect((await http.request(get(`http://2130706433:${server.port}/`))).status).toBe(200);
    expect((await http.request(get(`http://0x7f.1:${server.port}/`))).status).toBe(200);
  });

  it('checks every address a name resolves to, refusing when any one is private', async () => {
    const { lookup } = scriptedLookup([['127.0.0.1', '10.0.0.1']]);
    const before = server.connections;
    const err = await failure(client({ allow: ['127.0.0.1'], lookup }).request(get(`http://service.test:${server.port}/`)));
    expect(err.code).toBe('EGRESS_DENIED');
    expect(err.message).toContain('service.test (10.0.0.1)');
    expect(server.connections).toBe(before);
  });

  it('checks the addresses at connect time, so a name that rebinds to a refused address is caught', async () => {
    // First answer allowed, then the "attacker" rebinds the name; the server closes each
    // connection so the second request has to resolve and connect again.
    server.handle((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('first');
    });
    const { lookup, calls } = scriptedLookup([['127.0.0.1'], ['127.0.0.2']]);
    const http = client({ allow: ['127.0.0.1'], lookup });
    const first = await http.request(get(`http://rebind.test:${server.port}/`));
    expect(first.body.toString()).toBe('first');
    const err = await failure(http.request(get(`http://rebind.test:${server.port}/`)));
    expect(err.code).toBe('EGRESS_DENIED');
    expect(err.message).toContain('127.0.0.2');
    expect(calls).toEqual(['rebind.test', 'rebind.test']);
    expect(server.requests).toHaveLength(1);
  });

  it('keeps connections alive and reuses them instead of opening one per request', async () => {
    const http = client({ allow: ['127.0.0.1'] });
    const before = server.connections;
    for (let i = 0; i < 10; i++) await http.request(get(`${server.origin}/`));
    // undici may open a second socket while the first is finishing its response; never ten.
    expect(server.connections - before).toBeLessThanOrEqual(2);
  });

  it('does not follow a redirect to a private address, or any redirect', async () => {
    const second = await startTestServer();
    try {
      server.handle((req, res) => {
        res.statusCode = 302;
        res.setHeader('location', req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/' : `${second.origin}/`);
        res.end();
      });
      const http = client({ allow: ['127.0.0.1'] });
      const toMetadata = await http.request(get(`${server.origin}/to-metadata`));
      expect(toMetadata.status).toBe(302);
      expect(toMetadata.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
      const toAllowed = await http.request(get(`${server.origin}/to-second`));
      expect(toAllowed.status).toBe(302);
      expect(second.connections).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('fails with a retryable STEP_TIMEOUT when the answer takes longer than timeoutMs', async () => {
    server.handle(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      res.end('late');
    });
    const started = Date.now();
    const err = await failure(client({ allow: ['127.0.0.1'] }).request(get(`${server.origin}/slow`, { timeoutMs: 100 })));
    expect(err.code).toBe('STEP_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('100 ms');
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('times out a body that trickles in past the limit', async () => {
    server.handle(async (_req, res) => {
      res.write('a');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      res.end('b');
    });
    const err = await failure(client({ allow: ['127.0.0.1'] }).request(get(`${server.origin}/trickle`, { timeoutMs: 150 })));
    expect(err.code).toBe('STEP_TIMEOUT');
  });

  it("stops when the caller's signal aborts", async () => {
    server.handle(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      res.end('late');
    });
    const controller = new AbortController();
    const reason = new AppError('STEP_TIMEOUT', 'the step ran out of time');
    setTimeout(() => controller.abort(reason), 50);
    const err = await failure(client({ allow: ['127.0.0.1'] }).request(get(`${server.origin}/slow`, { signal: controller.signal })));
    expect(err).toBe(reason);
  });

  it('fails with a retryable CONNECTOR_NETWORK_ERROR when nothing listens', async () => {
    const port = await freePort();
    const err = await failure(client({ allow: ['127.0.0.1'] }).request(get(`http://127.0.0.1:${port}/`)));
    expect(err.code).toBe('CONNECTOR_NETWORK_ERROR');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`GET http://127.0.0.1:${port}/`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('fails with a retryable CONNECTOR_NETWORK_ERROR when the server drops the connection', async () => {
    server.handle((_req, res) => {
      res.socket?.destroy();
    });
    const err = await failure(client({ allow: ['127.0.0.1'] }).request(get(`${server.origin}/drop`)));
    expect(err.code).toBe('CONNECTOR_NETWORK_ERROR');
    expect(err.retryable).toBe(true);
  });

  it('refuses a response body over maxResponseBytes, declared or streamed', async () => {
    const http = client({ allow: ['127.0.0.1'], maxResponseBytes: 1024 });
    server.handle((req, res) => {
      if (req.url === '/declared') res.setHeader('content-length', '2048');
      for (let i = 0; i < 4; i++) res.write(Buffer.alloc(512, 97));
      res.end();
    });
    for (const path of ['/declared', '/streamed']) {
      const err = await failure(http.request(get(`${server.origin}${path}`)));
      expect(err.code).toBe('CONNECTOR_HTTP_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('1024 bytes');
    }
    server.handle((_req, res) => {
      res.end(Buffer.alloc(1024, 97));
    });
    expect((await http.request(get(`${server.origin}/exact`))).body.length).toBe(1024);
  });

  it.each([
    ['example.com/no-scheme', 'not a valid URL'],
    ['ftp://127.0.0.1/file', 'only http and https'],
    ['file:///etc/passwd', 'only http and https'],
  ])('refuses %s without retrying', async (url, message) => {
    const err = await failure(client({ allow: ['127.0.0.1'] }).request(get(url)));
    expect(err.code).toBe('CONNECTOR_NETWORK_ERROR');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(message);
  });

  it('refuses a header value with a line break without retrying', async () => {
    const err = await failure(
      client({ allow: ['127.0.0.1'] }).request(get(`${server.origin}/`, { headers: { 'x-a': 'one\r\nx-b: two' } })),
    );
    expect(err.code).toBe('CONNECTOR_NETWORK_ERROR');
    expect(err.retryable).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a malformed allow-list entry when it is built', () => {
    expect(() => createHttpClient({ allow: ['10.0.0.0/99'] })).toThrow(/allow-list entry/);
  });
});

describe('describeUrl', () => {
  it('masks credential-like query values and the userinfo password', () => {
    expect(describeUrl('https://user:pw@api.example.com/x?api_key=abc&page=2&access_token=t&Signature=s&password=p')).toBe(
      'https://user:***@api.example.com/x?api_key=***&page=2&access_token=***&Signature=***&password=***',
    );
  });

  it('leaves a URL without secrets as it is', () => {
    expect(describeUrl('http://127.0.0.1:9000/customers?page=2')).toBe('http://127.0.0.1:9000/customers?page=2');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
