import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

/** One request over a real socket, so Content-Length and Content-Encoding are what the wire says. */
function send(
  port: number,
  path: string,
  headers: Record<string, string | number>,
  body: Buffer | ((write: (chunk: Buffer) => boolean) => void),
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // The server may answer and close before the whole (too large) body is written.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    if (Buffer.isBuffer(body)) req.end(body);
    else {
      body((chunk) => req.write(chunk));
      req.end();
    }
  });
}

describe('bodies that try to exhaust the server', () => {
  let sys: Sys;
  let port: number;
  let h: Record<string, string>;
  let start: string;
  beforeAll(async () => {
    sys = await createTestSystem({ bodyLimitBytes: 1024 * 1024 }, { worker: false });
    await sys.app.listen({ host: '127.0.0.1', port: 0 });
    port = (sys.app.server.address() as AddressInfo).port;
    h = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Abused', definition: customersToCrm('http://127.0.0.1:9') },
    });
    await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${created.json().data.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    start = `/api/v1/flows/${created.json().data.id}/start`;
  });
  afterAll(async () => sys.close());

  it('refuses a gzip bomb (200 MiB inflated from 200 KiB) without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const res = await send(
      port,
      start,
      { ...h, 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length },
      bomb,
    );
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(JSON.parse(res.body).message).toMatch(/Content-Encoding/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });

  it('answers 413 to a Content-Length over the limit before reading the body', async () => {
    const res = await send(
      port,
      start,
      { ...h, 'content-type': 'application/json', 'content-length': 500 * 1024 * 1024 },
      Buffer.from('{}'),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('BODY_TOO_LARGE');
  });

  it('answers 413 to a chunked body that grows past the limit, without buffering it all', async () => {
    const res = await send(port, start, { ...h, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, (write) => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let i = 0; i < 64; i++) write(chunk);
    });
    expect(res.status).toBe(413);
  });

  it('refuses JSON nested thousands deep with 400, quickly', async () => {
    const depth = 100_000;
    const body = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const t0 = performance.now();
    const res = await send(port, start, { ...h, 'content-type': 'application/json', 'content-length': body.length }, body);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('BAD_JSON');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses a body of more keys than allowed with 400', async () => {
    const sysBig = await createTestSystem({ bodyLimitBytes: 32 * 1024 * 1024 }, { worker: false });
    try {
      const hh = sysBig.auth((await sysBig.register()).token);
      const keys = Array.from({ length: 1_000_001 }, (_, i) => `"${i.toString(36)}":0`).join(',');
      const res = await sysBig.app.inject({
        method: 'POST',
        url: '/api/v1/flows',
        headers: { ...hh, 'content-type': 'application/json' },
        payload: `{${keys}}`,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/more than 1000000 keys/);
    } finally {
      await sysBig.close();
    }
  });
});

describe('content-type confusion', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let flowId: string;
  let versionId: string;
  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Confused', definition: customersToCrm('http://127.0.0.1:9') },
    });
    flowId = created.json().data.id;
    versionId = created.json().data.draft_version_id;
  });
  afterAll(async () => sys.close());

  const post = (url: string, contentType: string | undefined, payload: string) =>
    sys.app.inject({ method: 'POST', url, headers: { ...h, ...(contentType ? { 'content-type': contentType } : {}) }, payload });

  it('refuses JSON sent as text/plain, a form or multipart to a JSON endpoint with 415', async () => {
    for (const url of ['/api/v1/flows', '/api/v1/login', '/api/v1/connectors']) {
      for (const ct of [
        'text/plain',
        'text/csv',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=b',
      ]) {
        const res = await post(url, ct, '{"name":"x","definition":{}}');
        expect(res.statusCode, `${url} ${ct}`).toBe(415);
        expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
    }
  });

  it('does not read XML declared as JSON as anything but bad JSON', async () => {
    const res = await post(`/api/v1/flows/${flowId}/manual/raw/${versionId}`, 'application/json', '<x>1</x>');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_JSON');
  });

  it('keeps JSON declared as XML as the bytes sent, in format xml, never parsed as JSON', async () => {
    const res = await post(`/api/v1/flows/${flowId}/manual/raw/${versionId}`, 'application/xml', '{"__proto__":{"polluted":true}}');
    expect(res.statusCode).toBe(200);
    const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${res.json().flow_run_id}`, headers: h })).json().data;
    const payloadId = run.input_payload_id ?? run.inputPayloadId;
    if (payloadId) {
      const meta = (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${payloadId}`, headers: h })).json().data;
      expect(meta.format).toBe('xml');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers fields named like Object members (constructor, toString, __proto__) with 422, not a crash', async () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const res = await post('/api/v1/flows', 'application/json', `{"name":"x","definition":{"steps":[],"edges":[]},"${key}":1}`);
      expect(res.statusCode, key).toBe(422);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses XML with a DOCTYPE whatever it is declared as', async () => {
    for (const ct of ['application/xml', 'text/plain', 'text/csv']) {
      const res = await post(
        `/api/v1/flows/${flowId}/manual/raw/${versionId}`,
        ct,
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b SYSTEM "file:///etc/passwd">]><a>&b;</a>',
      );
      expect(res.statusCode, ct).toBe(422);
      expect(res.json().error.code).toBe('XML_REFUSED');
    }
  });
});
