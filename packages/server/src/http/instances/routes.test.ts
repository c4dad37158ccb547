import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCredentialCipher } from '../../crypto/credentials.js';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem } from '../../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

const CONNECTOR = {
  name: 'ERP',
  protocol: 'http',
  base_url: 'https://{{tenant}}.erp.example.com',
  variables: { tenant: { description: 'The ERP tenant' } },
  auth_methods: [
    { type: 'api_key', in: 'header', param_name: 'X-Api-Key' },
    { type: 'basic', name: 'login' },
    { type: 'custom_headers', headers: ['X-Client', 'X-Signature'] },
  ],
  endpoints: [{ name: 'push', method: 'POST', path: '/orders', data_type: 'json', direction: 'send' }],
};

describe('instances API', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let other: Record<string, string>;
  let connectorId: string;
  let companyId: string;
  /** Every response body this suite saw, to look for the credentials in at the end. */
  const seen: string[] = [];

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    const owner = await sys.register();
    companyId = owner.companyId;
    h = sys.auth(owner.token);
    other = sys.auth((await sys.register()).token);
    const res = await sys.app.inject({ method: 'POST', url: '/api/v1/connectors', headers: h, payload: CONNECTOR });
    expect(res.statusCode).toBe(201);
    connectorId = res.json().data.id;
  });
  afterAll(() => sys.close());

  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers = h) {
    const res = await sys.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    seen.push(res.body);
    return res;
  }

  const create = (body: Record<string, unknown> = {}) =>
    call('POST', '/api/v1/instances', {
      connector_id: connectorId,
      name: 'Live ERP',
      variables: { tenant: 'acme' },
      auth_method: 'api_key',
      credentials: { key: CANARY },
      ...body,
    });

  it('creates an instance and shows that credentials are set, never what they are', async () => {
    const res = await create();
    expect(res.statusCode).toBe(201);
    const created = res.json().data;
    expect(created).toMatchObject({
      connector_id: connectorId,
      name: 'Live ERP',
      variables: { tenant: 'acme' },
      auth_method: 'api_key',
      credentials_set: true,
      credential_fields: ['key'],
    });
    expect(created).not.toHaveProperty('credentials');
    expect((await call('GET', `/api/v1/instances/${created.id}`)).json().data).toEqual(created);
    const list = await call('GET', `/api/v1/instances?filter[connector_id]=${connectorId}&per_page=100`);
    expect(list.json().data).toContainEqual(created);
  });

  it('encrypts the credentials the store keeps, and they decrypt to what was sent', async () => {
    const created = (await create()).json().data;
    const stored = await sys.store.getInstanceSecret(companyId, created.id);
    expect(stored).toMatch(/^v1:[0-9a-f]+:[^:]+:[^:]+:[^:]+$/);
    expect(stored).not.toContain(CANARY);
    const cipher = await loadCredentialCipher(sys.store, sys.config);
    expect(cipher.decrypt(stored ?? '', companyId)).toEqual({ key: CANARY });
  });

  it('creates an instance without credentials', async () => {
    const res = await create({ auth_method: null, credentials: undefined });
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ auth_method: null, credentials_set: false, credential_fields: [] });
  });

  it('replaces, keeps and removes credentials on change', async () => {
    const created = (await create()).json().data;
    const url = `/api/v1/instances/${created.id}`;
    const renamed = await call('PATCH', url, { name: 'Renamed', variables: {} });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().data).toMatchObject({ name: 'Renamed', variables: {}, credentials_set: true, credential_fields: ['key'] });

    const switched = await call('PATCH', url, { auth_method: 'login', credentials: { username: 'ada', password: `${CANARY}-basic` } });
    expect(switched.statusCode).toBe(200);
    expect(switched.json().data).toMatchObject({
      auth_method: 'login',
      credentials_set: true,
      credential_fields: ['password', 'username'],
    });

    // The stored credentials are basic ones: another method needs new credentials with it.
    const stale = await call('PATCH', url, { auth_method: 'api_key' });
    expect(stale.statusCode).toBe(422);
    expect(stale.json().errors).toHaveProperty('auth_method');

    const removed = await call('PATCH', url, { credentials: null, auth_method: null });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().data).toMatchObject({ auth_method: null, credentials_set: false, credential_fields: [] });
  });

  it('deletes an instance', async () => {
    const created = (await create()).json().data;
    const url = `/api/v1/instances/${created.id}`;
    expect((await call('DELETE', url)).statusCode).toBe(204);
    expect((await call('GET', url)).statusCode).toBe(404);
    expect((await call('DELETE', url)).statusCode).toBe(404);
  });

  it.each([
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['an unknown connector', { connector_id: 'no-such-connector' }, 'connector_id'],
    ['a variable the connector does not have', { variables: { region: 'eu' } }, 'variables.region'],
    ['an auth method the connector does not have', { auth_method: 'oauth2' }, 'auth_method'],
    ['credentials without an auth method', { auth_method: null }, 'credentials'],
    ['credentials missing a field', { auth_method: 'login', credentials: { username: 'ada' } }, 'credentials'],
    ['a credential field the method does not use', { credentials: { key: CANARY, token: 'x' } }, 'credentials.token'],
    ['a credential that is not a string', { credentials: { key: { nested: CANARY } } }, 'credentials.key'],
  ])('refuses %s with 422 naming the field', async (_what, body, field) => {
    const res = await create(body);
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors)).toContain(field);
  });

  it('accepts the credential fields custom headers name', async () => {
    const res = await create({ auth_method: 'custom_headers', credentials: { 'X-Client': 'weft', 'X-Signature': CANARY } });
    expect(res.statusCode).toBe(201);
    expect(res.json().data.credential_fields).toEqual(['X-Client', 'X-Signature']);
  });

  it("answers 404 for another company's instance and refuses its connector", async () => {
    const created = (await create()).json().data;
    const url = `/api/v1/instances/${created.id}`;
    expect((await call('GET', url, undefined, other)).statusCode).toBe(404);
    expect((await call('PATCH', url, { name: 'hijacked' }, other)).statusCode).toBe(404);
    expect((await call('PATCH', url, { credentials: { key: `replaced-${CANARY}` } }, other)).statusCode).toBe(404);
    expect((await call('DELETE', url, undefined, other)).statusCode).toBe(404);
    const list = await call('GET', '/api/v1/instances', undefined, other);
    expect(list.json().data.map((i: { id: string }) => i.id)).not.toContain(created.id);
    const borrowed = await call('POST', '/api/v1/instances', { connector_id: connectorId, name: 'Borrowed' }, other);
    expect(borrowed.statusCode).toBe(422);
    expect((await call('GET', url)).json().data).toMatchObject({ name: 'Live ERP', credentials_set: true });
  });

  it('never answers with the credentials', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const body of seen) expect(body).not.toContain(CANARY);
  });

  const onPostgres = process.env.WEFT_TEST_STORE === 'postgres';

  it.skipIf(onPostgres)('keeps no plaintext credentials in the SQLite database files', async () => {
    const files = await listFiles(sys.dataDir);
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    for (const file of files) {
      const bytes = await readFile(file);
      expect(bytes.includes(Buffer.from(CANARY, 'utf8')), `${CANARY} in ${path.basename(file)}`).toBe(false);
      expect(bytes.includes(Buffer.from(CANARY, 'utf16le')), `${CANARY} (UTF-16) in ${path.basename(file)}`).toBe(false);
    }
    // Guards against a vacuous pass: what was written is in the scanned bytes.
    const all = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
    expect(all.includes(Buffer.from('Live ERP'))).toBe(true);
    expect(all.includes(Buffer.from('X-Signature'))).toBe(true);
  });

  it.runIf(onPostgres)('keeps no plaintext credentials in the PostgreSQL rows', async () => {
    const client = new pg.Client({ connectionString: sys.config.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ row: string }>(`SELECT i::text AS row FROM "${sys.config.databaseSchema}".instances i`);
      expect(rows.length).toBeGreaterThan(0);
      for (const { row } of rows) expect(row).not.toContain(CANARY);
      expect(rows.some(({ row }) => row.includes('X-Signature'))).toBe(true);
    } finally {
      await client.end();
    }
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}
