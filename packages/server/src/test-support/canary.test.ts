import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CANARY, findCanaryLeaks, LeakWatch } from './canary.js';
import { createTestSystem } from './harness.js';

// The leak scan only protects the suite if it can fail: each test plants the canary (or a secret the
// system handed out) in one place a leak would show and expects close() or the scanner to name it.

describe('a test system scanned at close', () => {
  it('reports the canary stored in the database, naming the file or table', async () => {
    const sys = await createTestSystem();
    // Straight into the store: the company name is not a secret, so nothing masks it.
    await sys.store.createCompanyWithAdmin({ companyName: `Planted ${CANARY}`, name: 'Ada', email: 'ada@planted.test', passwordHash: 'x' });
    await expect(sys.close()).rejects.toThrow(/Leak canary[\s\S]*(file weft\.db|table \S+\.companies) holds the canary/);
    // The data directory is removed all the same.
    expect(existsSync(sys.dataDir)).toBe(false);
  });

  it('reports the canary in a server log line', async () => {
    const sys = await createTestSystem({ logLevel: 'info' });
    sys.app.log.info({ note: `planted ${CANARY}` }, 'a line a careless caller wrote');
    await expect(sys.close()).rejects.toThrow(/server log line \d+ holds the canary wEfTcAnArY7q: .*planted wEfTcAnArY7q/);
  });

  it('reports the canary in a response, naming the request', async () => {
    const sys = await createTestSystem();
    const admin = await sys.register();
    // A flow name comes back in the answer (and is stored): both are reported.
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: sys.auth(admin.token),
      payload: {
        name: `Planted ${CANARY}`,
        definition: { format: 'json', steps: [{ id: 'trigger', shape: 'trigger', config: {} }], edges: [] },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    await expect(sys.close()).rejects.toThrow(/response to POST \/api\/v1\/flows holds the canary/);
  });

  it('reports a login token it saw issued when a log line holds it', async () => {
    const sys = await createTestSystem();
    const admin = await sys.register();
    sys.app.log.warn({ leaked: admin.token }, 'token written by mistake');
    await expect(sys.close()).rejects.toThrow(`server log line`);
    const again = await createTestSystem();
    const key = await again.apiKey((await again.register()).token);
    again.app.log.warn(`key ${key}`);
    await expect(again.close()).rejects.toThrow(`holds a tracked secret (${key.slice(0, 10)}…)`);
  });

  it('closes quietly when nothing leaked, after logins, an API key and a second user', async () => {
    const sys = await createTestSystem();
    const admin = await sys.register();
    await sys.apiKey(admin.token);
    await sys.addUser(admin.token, 'user');
    await expect(sys.close()).resolves.toBeUndefined();
  });
});

describe('the leak scanner', () => {
  it('finds the canary and tracked secrets in files under the data directory, in log lines and responses', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-canary-scan-'));
    try {
      await mkdir(path.join(dataDir, 'payloads', 'ab'), { recursive: true });
      await writeFile(path.join(dataDir, 'payloads', 'ab', 'p1'), `{"password":"${CANARY}"}`);
      await writeFile(path.join(dataDir, 'other'), 'a token tok-0123456789abcdef in plain text');
      const leaks = await findCanaryLeaks({
        dataDir,
        config: { databaseSchema: 'unused' },
        logLines: ['{"msg":"fine"}\n', `{"msg":"not fine","password":"${CANARY}"}\n`],
        responses: ['{"data":[]}', { where: 'GET /api/v1/users', body: `{"password":"${CANARY}"}` }],
        secrets: ['tok-0123456789abcdef'],
      });
      expect(leaks).toEqual([
        'server log line 2 holds the canary wEfTcAnArY7q: {"msg":"not fine","password":"wEfTcAnArY7q"} …',
        'response to GET /api/v1/users holds the canary wEfTcAnArY7q: {"password":"wEfTcAnArY7q"}…',
        'file other holds a tracked secret (tok-012345…)',
        `file ${path.join('payloads', 'ab', 'p1')} holds the canary wEfTcAnArY7q`,
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('finds a secret tracked just after the log line that leaked it, and never reports a response for returning a tracked secret', () => {
    const watch = new LeakWatch();
    watch.logLine('{"msg":"login","token":"eyJhbGciOiJIUzI1NiJ9.secret-part"}\n');
    watch.response('POST /api/v1/login', '{"token":"eyJhbGciOiJIUzI1NiJ9.secret-part"}');
    expect(watch.leaks).toEqual([]);
    watch.track('eyJhbGciOiJIUzI1NiJ9.secret-part');
    expect(watch.leaks).toEqual([expect.stringMatching(/^server log holds a tracked secret \(eyJhbGciOi…\)/)]);
  });
});
