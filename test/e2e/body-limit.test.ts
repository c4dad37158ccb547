import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, loadConfig, type System } from '../../packages/server/src/index.js';

/** quality.md §2: an oversized body is refused before it is read, over a real socket. */
describe('the body limit on a real socket', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-limit-'));
  let system: System;
  let port: number;
  beforeAll(async () => {
    system = await createSystem(loadConfig({}, { dataDir, logLevel: 'silent', bodyLimitBytes: 1024 * 1024 }), { worker: false });
    await system.app.listen({ port: 0, host: '127.0.0.1' });
    port = (system.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await system.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function send(head: string, bodyBytes: number, chunked = false): Promise<{ status: number; sentBytes: number }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let sent = 0;
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
        const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
        if (m) {
          socket.destroy();
          resolve({ status: Number(m[1]), sentBytes: sent });
        }
      });
      socket.on('error', () => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
        if (m) resolve({ status: Number(m[1]), sentBytes: sent });
        else reject(new Error(`no answer after ${sent} bytes`));
      });
      socket.write(head);
      const data = Buffer.alloc(64 * 1024, 'a');
      const chunk = chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data;
      const pump = () => {
        while (sent < bodyBytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) return socket.once('drain', pump);
        }
      };
      pump();
    });
  }

  it('answers 413 at once for a Content-Length over the limit, without waiting for the body', async () => {
    const declared = 100 * 1024 * 1024;
    const res = await send(
      `POST /api/v1/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
      0,
    );
    expect(res.status).toBe(413);
  });

  it('answers 413 for a chunked body that grows past the limit, long before it ends', async () => {
    const head = 'POST /api/v1/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const res = await send(head, 50 * 1024 * 1024, true);
    expect(res.status).toBe(413);
    expect(res.sentBytes).toBeLessThan(50 * 1024 * 1024);
  });
});
