import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';

let sys: TestSystem;

beforeEach(async () => {
  sys = await createTestSystem();
});

afterEach(async () => {
  await sys.close();
});

const register = (payload: unknown) =>
  sys.app.inject({ method: 'POST', url: '/api/v1/register', payload: payload as Record<string, unknown> });
const login = (payload: unknown, remoteAddress?: string) =>
  sys.app.inject({
    method: 'POST',
    url: '/api/v1/login',
    payload: payload as Record<string, unknown>,
    ...(remoteAddress ? { remoteAddress } : {}),
  });
const me = (authorization?: string) =>
  sys.app.inject({ method: 'GET', url: '/api/v1/me', headers: authorization === undefined ? {} : { authorization } });

const valid = { company: 'Acme Ltd', name: 'Jane Smith', email: 'jane@acme.test', password: `a good long password ${CANARY}` };

describe('POST /api/v1/register', () => {
  it('creates a company and its first user as administrator', async () => {
    const res = await register(valid);
    expect(res.statusCode).toBe(201);
    const { data } = res.json();
    expect(data.company).toEqual({ id: expect.any(String), name: 'Acme Ltd', created_at: expect.any(String) });
    expect(data.user).toEqual({
      id: expect.any(String),
      name: 'Jane Smith',
      email: 'jane@acme.test',
      role: 'administrator',
      company_id: data.company.id,
      created_at: expect.any(String),
    });
    expect(new Date(data.user.created_at).toISOString()).toBe(data.user.created_at);
  });

  it('refuses a password shorter than 10 characters', async () => {
    const res = await register({ ...valid, password: 'short' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().errors).toHaveProperty('password');
  });

  it('refuses a password longer than 1024 bytes even when it is fewer characters', async () => {
    const res = await register({ ...valid, password: 'é'.repeat(600) });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({ password: ['must be at most 1024 bytes'] });
    expect((await register({ ...valid, password: 'é'.repeat(512) })).statusCode).toBe(201);
  });

  it('refuses an invalid email', async () => {
    const res = await register({ ...valid, email: 'not-an-email' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toHaveProperty('email');
  });

  it('refuses missing fields, naming each', async () => {
    const res = await register({});
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors).sort()).toEqual(['company', 'email', 'name', 'password']);
  });

  it('refuses an email already taken, whatever its case, and says only that', async () => {
    expect((await register(valid)).statusCode).toBe(201);
    const res = await register({ ...valid, company: 'Other', email: 'JANE@Acme.TEST' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      message: 'The email is already taken.',
      error: { code: 'EMAIL_TAKEN', details: { email: ['is already taken'] } },
      errors: { email: ['is already taken'] },
    });
  });

  it('refuses unknown fields, naming them', async () => {
    const res = await register({ ...valid, role: 'administrator', plan: 'gold' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({ role: ['unknown field "role"'], plan: ['unknown field "plan"'] });
  });

  it('is refused with 403 when signup is closed, whatever the body', async () => {
    const closed = await createTestSystem({ signup: 'closed' });
    try {
      for (const payload of [valid, {}]) {
        const res = await closed.app.inject({ method: 'POST', url: '/api/v1/register', payload });
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('SIGNUP_CLOSED');
      }
    } finally {
      await closed.close();
    }
  });
});

describe('POST /api/v1/login', () => {
  it('returns a 24 h bearer token in the Patchworks shape', async () => {
    await register(valid);
    const res = await login({ email: valid.email, password: valid.password });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'You have successfully logged in.', token: expect.any(String), expires_in: 86400 });
    expect((await me(`Bearer ${res.json().token}`)).statusCode).toBe(200);
  });

  it('takes the email in any case', async () => {
    await register(valid);
    expect((await login({ email: 'Jane@ACME.test', password: valid.password })).statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown email with identical 401 bodies', async () => {
    await register(valid);
    const wrong = await login({ email: valid.email, password: `not the password ${CANARY}` });
    const unknown = await login({ email: 'nobody@acme.test', password: valid.password });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses unknown fields', async () => {
    const res = await login({ email: valid.email, password: valid.password, remember: true });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({ remember: ['unknown field "remember"'] });
  });

  it('is refused with 429 and Retry-After after 5 failures for an account', async () => {
    await register(valid);
    for (let i = 0; i < 5; i++) expect((await login({ email: valid.email, password: `wrong password ${CANARY}` })).statusCode).toBe(401);
    const res = await login({ email: valid.email, password: valid.password });
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  });

  it('is refused with 429 after 20 failures from one address, while other addresses still log in', async () => {
    await register(valid);
    for (let i = 0; i < 20; i++) expect((await login({ email: `guess-${i}@acme.test`, password: 'x' }, '192.0.2.1')).statusCode).toBe(401);
    expect((await login({ email: valid.email, password: valid.password }, '192.0.2.1')).statusCode).toBe(429);
    expect((await login({ email: valid.email, password: valid.password }, '192.0.2.2')).statusCode).toBe(200);
  });
});

describe('POST /fabric/api/login', () => {
  it('logs in with username for the email, as Patchworks clients send it', async () => {
    await register(valid);
    const res = await sys.app.inject({
      method: 'POST',
      url: '/fabric/api/login',
      payload: { username: valid.email, password: valid.password },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'You have successfully logged in.', token: expect.any(String), expires_in: 86400 });
  });

  it('answers a wrong password with the same 401 as the main route', async () => {
    await register(valid);
    const alias = await sys.app.inject({
      method: 'POST',
      url: '/fabric/api/login',
      payload: { username: valid.email, password: `wrong password ${CANARY}` },
    });
    const main = await login({ email: valid.email, password: `wrong password ${CANARY}` });
    expect(alias.statusCode).toBe(401);
    expect(alias.body).toBe(main.body);
  });
});

describe('tokens', () => {
  it('open GET /api/v1/me for the user, company and role', async () => {
    const user = await sys.register({ company: 'Acme Ltd', name: 'Jane' });
    const res = await me(`Bearer ${user.token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({
      user: {
        id: user.userId,
        name: 'Jane',
        email: user.email,
        role: 'administrator',
        company_id: user.companyId,
        created_at: expect.any(String),
      },
      company: { id: user.companyId, name: 'Acme Ltd', created_at: expect.any(String) },
      role: 'administrator',
      credential: 'token',
    });
  });

  it('are required: no header, or a malformed one, gives 401', async () => {
    for (const header of [undefined, '', 'Bearer', 'Basic amFuZTpwdw==', 'Bearer not-a-token']) {
      const res = await me(header);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ message: 'Unauthenticated.', error: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('are refused when expired, unsigned, signed with another key or tampered with, all with one body', async () => {
    // A configured key is never stored or logged: it carries the leak canary the harness scans for.
    const secret = `test-secret-${CANARY}-long-enough-for-hs256`;
    const local = await createTestSystem({ tokenSecret: secret });
    try {
      const user = await local.register();
      const claims = decodeJwt(user.token);
      const [header, payload, signature] = user.token.split('.') as [string, string, string];
      const key = Buffer.from(secret);
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const forged = {
        expired: await new SignJWT({ ...claims, iat: claims.iat! - 90_000, exp: claims.exp! - 86_401 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(key),
        none: `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        wrongKey: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from('another-secret-another-secret-another')),
        tampered: `${header}.${b64({ ...claims, role: 'administrator', cid: 'another-company' })}.${signature}`,
      };
      const bodies = new Set<string>();
      for (const [what, token] of Object.entries(forged)) {
        const res = await local.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode, what).toBe(401);
        bodies.add(res.body);
      }
      expect(bodies.size).toBe(1);
      // The same claims under the right key still work: each refusal above is down to the forgery.
      const resigned = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
      expect(
        (await local.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${resigned}` } })).statusCode,
      ).toBe(200);
    } finally {
      await local.close();
    }
  });
  it('stay valid across a restart on the same data, since the generated key is stored with it', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-restart-'));
    try {
      const first = await createTestSystem({ dataDir });
      const user = await first.register();
      await first.close();
      const second = await createTestSystem({ dataDir });
      try {
        expect((await second.app.inject({ method: 'GET', url: '/api/v1/me', headers: second.auth(user.token) })).statusCode).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('POST /api/v1/logout', () => {
  it('revokes the presented token and no other', async () => {
    const user = await sys.register();
    const other = await sys.login(user.email, user.password);
    const res = await sys.app.inject({ method: 'POST', url: '/api/v1/logout', headers: sys.auth(user.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'You have successfully logged out.' });
    expect((await me(`Bearer ${user.token}`)).statusCode).toBe(401);
    expect((await sys.app.inject({ method: 'POST', url: '/api/v1/logout', headers: sys.auth(user.token) })).statusCode).toBe(401);
    expect((await me(`Bearer ${other}`)).statusCode).toBe(200);
  });

  it('refuses an API key with 422 and leaves the key working', async () => {
    const user = await sys.register();
    const key = await sys.apiKey(user.token);
    const res = await sys.app.inject({ method: 'POST', url: '/api/v1/logout', headers: { authorization: key } });
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toMatch(/API key cannot log out/);
    expect((await me(key)).statusCode).toBe(200);
  });

  it('needs a credential', async () => {
    expect((await sys.app.inject({ method: 'POST', url: '/api/v1/logout' })).statusCode).toBe(401);
  });
});

describe('the database file', () => {
  it('holds neither plaintext passwords nor plaintext API keys', async () => {
    const password = `plaintext-password-${CANARY}`;
    const user = await sys.register({ password });
    const added = await sys.addUser(user.token, 'user', { password: `another-plaintext-password-${CANARY}` });
    const key = await sys.apiKey(user.token);
    expect(added.password).toBe(`another-plaintext-password-${CANARY}`);

    const files = await listFiles(sys.dataDir);
    // The main file and its write-ahead log together hold everything written so far.
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    let scanned = 0;
    for (const file of files) {
      const bytes = await readFile(file);
      scanned += bytes.length;
      for (const secret of [password, `another-plaintext-password-${CANARY}`, key, key.slice(4)]) {
        expect(bytes.includes(Buffer.from(secret, 'utf8')), `${secret} in ${path.basename(file)}`).toBe(false);
        expect(bytes.includes(Buffer.from(secret, 'utf16le')), `${secret} (UTF-16) in ${path.basename(file)}`).toBe(false);
      }
    }
    // Guards against a vacuous pass: what was written is in the scanned bytes.
    const all = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
    expect(all.includes(Buffer.from(user.email))).toBe(true);
    expect(all.includes(Buffer.from(key.slice(0, 12)))).toBe(true);
    expect(scanned).toBeGreaterThan(0);
  });
});

describe('the OpenAPI document', () => {
  it('describes the auth, user and API key routes with their bodies, and marks login and register public', async () => {
    const doc = (await sys.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const ops = {
      register: doc.paths['/api/v1/register']?.post,
      login: doc.paths['/api/v1/login']?.post,
      fabric: doc.paths['/fabric/api/login']?.post,
      users: doc.paths['/api/v1/users']?.post,
      keys: doc.paths['/api/v1/api-keys']?.post,
      revoke: doc.paths['/api/v1/api-keys/{id}/revoke']?.post,
    };
    for (const [name, op] of Object.entries(ops)) {
      expect(op, name).toBeDefined();
      expect(op.summary, name).toEqual(expect.any(String));
      expect(op.tags, name).toHaveLength(1);
    }
    expect(ops.register.security).toEqual([]);
    expect(ops.login.security).toEqual([]);
    expect(ops.keys.security).toBeUndefined();
    expect(ops.register.requestBody.content['application/json'].schema.required).toEqual(['company', 'name', 'email', 'password']);
    expect(ops.login.responses['200'].content['application/json'].schema.properties).toHaveProperty('expires_in');
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
