import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '@weft/schema';
import { decodeJwt, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Config, loadConfig } from '../config/index.js';
import { createSqliteStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { CANARY } from '../test-support/canary.js';
import { createAuthService, type FullAuthService, generateApiKey, hashApiKey, LOGIN_WINDOW_MS } from './service.js';

const PASSWORD = `a long enough password ${CANARY}`;

let store: Store;
let dataDir: string;
let config: Config;
let clockMs: number;
const now = () => clockMs;

// The service is tested against the real SQLite store, below the HTTP layer (no mocks of our store).
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-auth-'));
  store = createSqliteStore({ file: path.join(dataDir, 'weft.db'), payloadDir: path.join(dataDir, 'payloads') });
  await store.migrate();
  config = loadConfig({}, { logLevel: 'silent', dataDir });
  clockMs = Date.now();
});

afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

function service(overrides: Partial<Config> = {}): Promise<FullAuthService> {
  return createAuthService(store, { ...config, ...overrides }, { now, failureDelay: () => 0 });
}

async function admin(auth: FullAuthService, email = 'jane@acme.test') {
  return store.createCompanyWithAdmin({ companyName: 'Acme', name: 'Jane', email, passwordHash: await auth.hashPassword(PASSWORD) });
}

/** The error a promise rejects with, for comparing whole errors rather than messages alone. */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

async function expectUnauthenticated(promise: Promise<unknown>): Promise<void> {
  const err = await rejection(promise);
  expect({ code: err.code, message: err.message, status: err.status }).toEqual({
    code: 'UNAUTHENTICATED',
    message: 'Unauthenticated.',
    status: 401,
  });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Changes one character in the middle of a base64url string, where every bit counts. */
const flipChar = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

describe('passwords', () => {
  it('are hashed with Argon2id at 19 MiB and 2 passes, salted per hash', async () => {
    const auth = await service();
    const a = await auth.hashPassword(PASSWORD);
    const b = await auth.hashPassword(PASSWORD);
    const params = /^\$argon2id\$v=19\$([^$]+)\$/.exec(a)?.[1] ?? '';
    expect(Object.fromEntries(params.split(',').map((kv) => kv.split('=')))).toEqual({ m: '19456', t: '2', p: '1' });
    expect(a).not.toBe(b);
    expect(a).not.toContain(PASSWORD);
  });

  it('log in with the email in any case and give a token for the user', async () => {
    const auth = await service();
    const { user } = await admin(auth);
    const result = await auth.login({ email: 'JANE@Acme.Test', password: PASSWORD, address: '10.0.0.1' });
    expect(result.user.id).toBe(user.id);
    expect(result.expiresIn).toBe(86_400);
    expect(result.user).not.toHaveProperty('passwordHash');
    const ctx = await auth.authenticate(`Bearer ${result.token}`);
    expect(ctx).toMatchObject({ companyId: user.companyId, userId: user.id, role: 'administrator', kind: 'token' });
  });

  it('give the same error for an unknown email and a wrong password', async () => {
    const auth = await service();
    await admin(auth);
    const unknown = await rejection(auth.login({ email: 'nobody@acme.test', password: PASSWORD, address: '10.0.0.1' }));
    const wrong = await rejection(auth.login({ email: 'jane@acme.test', password: 'not the password', address: '10.0.0.1' }));
    expect({ code: wrong.code, message: wrong.message, status: wrong.status }).toEqual({
      code: unknown.code,
      message: unknown.message,
      status: unknown.status,
    });
    expect(wrong.code).toBe('UNAUTHENTICATED');
  });
  it('spend an Argon2 verification on an unknown email too, so timing does not reveal accounts', async () => {
    const auth = await service();
    await admin(auth);
    const time = async (email: string, i: number) => {
      const started = performance.now();
      await auth.login({ email, password: 'wrong password', address: `10.1.0.${i}` }).catch(() => undefined);
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time('jane@acme.test', i));
      unknown.push(await time(`nobody-${i}@acme.test`, i));
    }
    // A loose bound: skipping the hash makes an unknown email about a hundred times faster.
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
  });
});

describe('login throttling', () => {
  it('refuses an account after 5 failures in 15 minutes, even with the right password, and lets it in after the window', async () => {
    const auth = await service();
    await admin(auth);
    for (let i = 0; i < 5; i++) {
      clockMs += 1000;
      await expect(auth.login({ email: 'jane@acme.test', password: 'wrong password', address: `10.0.0.${i}` })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    }
    const limited = await rejection(auth.login({ email: 'jane@acme.test', password: PASSWORD, address: '10.0.1.1' }));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.status).toBe(429);
    // The first failure leaves the window 15 minutes after it happened, 4 s before now + 15 min.
    expect(limited.headers?.['retry-after']).toBe(String(LOGIN_WINDOW_MS / 1000 - 4));

    clockMs += LOGIN_WINDOW_MS;
    await expect(auth.login({ email: 'jane@acme.test', password: PASSWORD, address: '10.0.1.1' })).resolves.toHaveProperty('token');
  });

  it('counts unknown emails like known ones, so the limit does not reveal which exist', async () => {
    const auth = await service();
    for (let i = 0; i < 5; i++)
      await expect(auth.login({ email: 'ghost@acme.test', password: 'x', address: `10.0.0.${i}` })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    await expect(auth.login({ email: 'ghost@acme.test', password: 'x', address: '10.0.9.9' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
  });

  it('refuses an address after 20 failures across accounts, but not other addresses', async () => {
    const auth = await service();
    await admin(auth);
    for (let i = 0; i < 20; i++)
      await expect(auth.login({ email: `guess-${i}@acme.test`, password: 'x', address: '10.0.0.7' })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    await expect(auth.login({ email: 'jane@acme.test', password: PASSWORD, address: '10.0.0.7' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    await expect(auth.login({ email: 'jane@acme.test', password: PASSWORD, address: '10.0.0.8' })).resolves.toHaveProperty('token');
  });

  it('forgets an account failures after a successful login', async () => {
    const auth = await service();
    await admin(auth);
    for (let i = 0; i < 4; i++)
      await expect(auth.login({ email: 'jane@acme.test', password: 'wrong', address: '10.0.0.1' })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    await auth.login({ email: 'jane@acme.test', password: PASSWORD, address: '10.0.0.1' });
    for (let i = 0; i < 4; i++)
      await expect(auth.login({ email: 'jane@acme.test', password: 'wrong', address: '10.0.0.1' })).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    await expect(auth.login({ email: 'jane@acme.test', password: PASSWORD, address: '10.0.0.1' })).resolves.toHaveProperty('token');
  });

  it('counts parallel attempts before they finish, so a burst cannot pass the limit', async () => {
    const auth = await service();
    await admin(auth);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => auth.login({ email: 'jane@acme.test', password: 'wrong', address: '10.0.0.1' })),
    );
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as AppError).code : 'ok'));
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(7);
  });

  it('slows repeated failures by default', async () => {
    const auth = await createAuthService(store, config, { now });
    await admin(auth);
    const started = performance.now();
    for (let i = 0; i < 3; i++)
      await expect(auth.login({ email: 'jane@acme.test', password: 'wrong', address: '10.0.0.1' })).rejects.toThrow();
    // The third failure waits 250 ms on top of the Argon2 checks.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe('tokens', () => {
  it('carry sub, cid, role, jti and exp, signed with HS256, and expire after the configured time', async () => {
    const auth = await service({ tokenTtlSeconds: 3600 });
    const { user } = await admin(auth);
    const { token, expiresIn } = await auth.issueToken(user);
    expect(expiresIn).toBe(3600);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: user.id, cid: user.companyId, role: 'administrator' });
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp).toBe(Math.floor(clockMs / 1000) + 3600);
    expect(await store.getTokenGrant(claims.jti!)).toMatchObject({ userId: user.id, revokedAt: null, role: 'administrator' });
  });

  it('are refused once expired', async () => {
    const auth = await service({ tokenTtlSeconds: 60 });
    const { user } = await admin(auth);
    const { token } = await auth.issueToken(user);
    clockMs += 59_000;
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ userId: user.id });
    clockMs += 1_000;
    await expectUnauthenticated(auth.authenticate(`Bearer ${token}`));
  });

  it('are refused after logout', async () => {
    const auth = await service();
    const { user } = await admin(auth);
    const { token } = await auth.issueToken(user);
    const ctx = await auth.authenticate(`Bearer ${token}`);
    await auth.logout(ctx);
    await expectUnauthenticated(auth.authenticate(`Bearer ${token}`));
  });

  it('are refused within a second when revoked by another process, and at once after logout here', async () => {
    const auth = await service();
    const { user } = await admin(auth);
    const { token } = await auth.issueToken(user);
    const ctx = await auth.authenticate(`Bearer ${token}`);
    // Revoked in the store directly, as another API process would: the remembered token lasts at most a second.
    await store.revokeToken(ctx.credentialId);
    clockMs += 1_000;
    await expectUnauthenticated(auth.authenticate(`Bearer ${token}`));
    const second = await auth.issueToken(user);
    const secondCtx = await auth.authenticate(`Bearer ${second.token}`);
    await auth.logout(secondCtx);
    await expectUnauthenticated(auth.authenticate(`Bearer ${second.token}`));
  });

  it("carry the user's current role, not the one signed in: a change takes effect here at once and from another process within a second", async () => {
    const auth = await service();
    const { user, company } = await admin(auth);
    const manager = await store.createUser(company.id, { name: 'Max', email: 'max@acme.test', passwordHash: 'x', role: 'manager' });
    const { token } = await auth.issueToken(manager);
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ role: 'manager' });
    // Changed in the store directly, as another API process would: the remembered token holds for at most a second.
    await store.updateUser(company.id, manager.id, { role: 'read_only' });
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ role: 'manager' });
    clockMs += 1_000;
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ role: 'read_only', userId: manager.id });
    // Changed and forgotten in this process: at once.
    await store.updateUser(company.id, manager.id, { role: 'user' });
    auth.forgetUser(manager.id);
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ role: 'user' });
    await store.deleteUser(company.id, manager.id);
    auth.forgetUser(manager.id);
    await expectUnauthenticated(auth.authenticate(`Bearer ${token}`));
    expect(user.role).toBe('administrator');
  });

  it('are refused when their id was never recorded', async () => {
    const secret = 's'.repeat(32);
    const auth = await service({ tokenSecret: secret });
    const { user } = await admin(auth);
    const forged = await new SignJWT({ cid: user.companyId, role: 'administrator' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setJti('never-issued')
      .setExpirationTime('1h')
      .sign(Buffer.from(secret));
    await expectUnauthenticated(auth.authenticate(`Bearer ${forged}`));
  });

  it('refuse alg none, other algorithms, another key and any change to header, claims or signature', async () => {
    const secret = 'k'.repeat(40);
    const auth = await service({ tokenSecret: secret });
    const { user } = await admin(auth);
    const { token } = await auth.issueToken(user);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = decodeJwt(token);
    const resign = (alg: string, key: Parameters<SignJWT['sign']>[0]) => new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    const bad = [
      `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      `${b64({ alg: 'none' })}.${payload}.${signature}`,
      await resign('HS512', Buffer.from(secret)),
      await resign('HS384', Buffer.from(secret)),
      await resign('RS256', privateKey),
      await resign('HS256', Buffer.from('x'.repeat(40))),
      `${header}.${b64({ ...claims, role: 'administrator', sub: 'someone-else' })}.${signature}`,
      `${header}.${b64({ ...claims, exp: (claims.exp ?? 0) + 86_400 })}.${signature}`,
      `${header}.${payload}.${flipChar(signature, 5)}`,
      `${header}.${flipChar(payload, 10)}.${signature}`,
      `${header}.${payload}`,
      token.toUpperCase(),
    ];
    // The genuine token still works, so each refusal is down to the change made to it.
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ userId: user.id });
    for (const forged of bad) await expectUnauthenticated(auth.authenticate(`Bearer ${forged}`));
  });

  it('are signed with a key generated once and stored, so every process of the server accepts them', async () => {
    const first = await service();
    const { user } = await admin(first);
    const { token } = await first.issueToken(user);
    const stored = await store.getSetting('token_secret');
    expect(Buffer.from(stored ?? '', 'base64url')).toHaveLength(32);

    const second = await service();
    await expect(second.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ userId: user.id });
    expect(await store.getSetting('token_secret')).toBe(stored);
  });

  it('use WEFT_TOKEN_SECRET when set and refuse one shorter than 32 bytes', async () => {
    const auth = await service({ tokenSecret: 'z'.repeat(32) });
    const { user } = await admin(auth);
    const { token } = await auth.issueToken(user);
    await expect(jwtVerify(token, Buffer.from('z'.repeat(32)))).resolves.toBeTruthy();
    const other = await service({ tokenSecret: 'y'.repeat(32) });
    await expectUnauthenticated(other.authenticate(`Bearer ${token}`));
    await expect(service({ tokenSecret: 'short' })).rejects.toThrow(/at least 32 bytes/);
  });
});

describe('authorization header', () => {
  it('gives the same 401 for every malformed value', async () => {
    const auth = await service();
    for (const value of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      'wft_',
      'wft_short',
      'Bearer wft_!!',
      'eyJhbGciOiJIUzI1NiJ9.e30.x',
      'Bearer a.b.c',
    ]) {
      await expectUnauthenticated(auth.authenticate(value));
    }
  });

  it('does not take a login token without Bearer', async () => {
    const auth = await service();
    const { user } = await admin(auth);
    const { token } = await auth.issueToken(user);
    await expectUnauthenticated(auth.authenticate(token));
    await expect(auth.authenticate(`bearer ${token}`)).resolves.toMatchObject({ kind: 'token' });
  });
});

describe('API keys', () => {
  it('are wft_ and 43 base62 characters, with a short prefix to recognise them by', () => {
    const keys = new Set(Array.from({ length: 50 }, generateApiKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^wft_[0-9A-Za-z]{43}$/);
  });

  it('are stored as a SHA-256 hash and authenticate raw or as Bearer with manager rights', async () => {
    const auth = await service();
    const { company } = await admin(auth);
    const { apiKey, key } = await auth.createApiKey(company.id, 'warehouse');
    expect(apiKey.prefix).toBe(key.slice(0, 12));
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(await store.findApiKeyByHash(hashApiKey(key))).toMatchObject({ id: apiKey.id });

    const expected = { companyId: company.id, role: 'manager', kind: 'api_key', userId: null, credentialId: apiKey.id };
    await expect(auth.authenticate(key)).resolves.toEqual(expected);
    await expect(auth.authenticate(`Bearer ${key}`)).resolves.toEqual(expected);
    await expect(auth.authenticate(`  ${key}  `)).resolves.toEqual(expected);
  });

  it('stop working when revoked or deleted', async () => {
    const auth = await service();
    const { company } = await admin(auth);
    const a = await auth.createApiKey(company.id, 'a');
    const b = await auth.createApiKey(company.id, 'b');
    await store.revokeApiKey(company.id, a.apiKey.id);
    await store.deleteApiKey(company.id, b.apiKey.id);
    await expectUnauthenticated(auth.authenticate(a.key));
    await expectUnauthenticated(auth.authenticate(b.key));
  });

  it('record their last use at most once a minute', async () => {
    const auth = await service();
    const { company } = await admin(auth);
    const { apiKey, key } = await auth.createApiKey(company.id, 'a');
    const lastUsed = async () => (await store.listApiKeys(company.id)).find((k) => k.id === apiKey.id)?.lastUsedAt ?? null;
    const t0 = clockMs;

    await auth.authenticate(key);
    await vi.waitFor(async () => expect(await lastUsed()).toBe(new Date(t0).toISOString()));
    clockMs += 30_000;
    await auth.authenticate(key);
    clockMs += 29_000;
    await auth.authenticate(key);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await lastUsed()).toBe(new Date(t0).toISOString());

    clockMs += 1_000;
    await auth.authenticate(key);
    await vi.waitFor(async () => expect(await lastUsed()).toBe(new Date(t0 + 60_000).toISOString()));
  });

  it('cannot log out', async () => {
    const auth = await service();
    const { company } = await admin(auth);
    const { key } = await auth.createApiKey(company.id, 'a');
    const ctx = await auth.authenticate(key);
    await expect(auth.logout(ctx)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 422 });
    await expect(auth.authenticate(key)).resolves.toMatchObject({ kind: 'api_key' });
  });
});
