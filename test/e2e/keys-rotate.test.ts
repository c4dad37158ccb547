import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CANARY, findCanaryLeaks } from '../../packages/server/src/test-support/canary.js';
import { runWeft, startWeft } from './weft-process.js';

describe('weft keys rotate', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-keys-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { WEFT_DATA_DIR: dataDir, WEFT_LOG_LEVEL: 'silent' };

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('moves credentials written with the generated key file to a configured key, idempotently', { timeout: 120_000 }, async () => {
    // A server without WEFT_CREDENTIALS_KEY: the key goes to a 0600 file, and an instance is saved with it.
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const server = startWeft({ ...env, WEFT_PORT: String(port) });
    await server.ready;
    try {
      const post = async (url: string, body: unknown, token?: string) => {
        const res = await fetch(`${origin}${url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
        return (await res.json()) as Record<string, any>;
      };
      const user = { email: 'ops@keys.test', password: `correct horse battery ${CANARY}` };
      await post('/api/v1/register', { company: 'Keys Ltd', name: 'Ops', ...user });
      const { token } = await post('/api/v1/login', user);
      const connector = await post(
        '/api/v1/connectors',
        { name: 'C', protocol: 'http', base_url: 'https://c.example.com', auth_methods: [{ type: 'bearer' }] },
        token,
      );
      const instance = await post(
        '/api/v1/instances',
        { connector_id: connector.data.id, name: 'I', auth_method: 'bearer', credentials: { token: `rotate-${CANARY}` } },
        token,
      );
      expect(instance.data?.credentials_set, JSON.stringify(instance)).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
    const keyFile = path.join(dataDir, 'credentials.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const next = { ...env, WEFT_CREDENTIALS_KEY: randomBytes(32).toString('base64') };
    const first = await runWeft(['keys', 'rotate'], next);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ checked: 1, rotated: 1, already_current: 0, unreadable: [] });

    // Without the old key file the credentials still open: they are under the configured key now.
    unlinkSync(keyFile);
    const again = await runWeft(['keys', 'rotate'], next);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ checked: 1, rotated: 0, already_current: 1 });
    expect(existsSync(keyFile)).toBe(false);

    // A key that never wrote them cannot open them: reported, exit code 1, nothing changed.
    const wrong = await runWeft(['keys', 'rotate'], { ...env, WEFT_CREDENTIALS_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).unreadable).toHaveLength(1);
    expect(wrong.stderr).toMatch(/add the key that wrote them to WEFT_CREDENTIALS_OLD_KEYS/);
    expect(wrong.stdout + wrong.stderr).not.toContain(`rotate-${CANARY}`);
    // Leak canaries: after all the rewriting, neither the data directory (SQLite file, WAL) nor anything the processes printed holds the password or the credential.
    const printed = [server.output(), ...[first, again, wrong].flatMap((r) => [r.stdout, r.stderr])];
    expect(await findCanaryLeaks({ dataDir, config: { databaseSchema: '' }, logLines: printed })).toEqual([]);
  });
});
