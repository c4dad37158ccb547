import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem, type TestUser } from '../../test-support/harness.js';

let sys: TestSystem;
let admin: TestUser;
let other: TestUser;

beforeAll(async () => {
  sys = await createTestSystem();
  admin = await sys.register({ company: 'Acme' });
  other = await sys.register({ company: 'Other' });
});

afterAll(async () => {
  await sys.close();
});

const create = (authorization: string, payload: Record<string, unknown> = { name: 'warehouse' }) =>
  sys.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: { authorization }, payload });
const list = (token: string) => sys.app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: sys.auth(token) });
const me = (authorization: string) => sys.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization } });

describe('POST /api/v1/api-keys', () => {
  it('creates a key and shows it once, with its prefix', async () => {
    const res = await create(`Bearer ${admin.token}`);
    expect(res.statusCode).toBe(201);
    const { data } = res.json();
    expect(data).toEqual({
      id: expect.any(String),
      name: 'warehouse',
      prefix: expect.any(String),
      key: expect.stringMatching(/^wft_[0-9A-Za-z]{43}$/),
      created_at: expect.any(String),
    });
    expect(data.key.startsWith(data.prefix)).toBe(true);
    expect(data.prefix).toMatch(/^wft_.{8}$/);

    const listed = (await list(admin.token)).json().data.find((k: { id: string }) => k.id === data.id);
    expect(listed).toEqual({
      id: data.id,
      name: 'warehouse',
      prefix: data.prefix,
      created_at: data.created_at,
      last_used_at: null,
      revoked_at: null,
    });
    expect((await list(admin.token)).body).not.toContain(data.key.slice(4));
  });

  it('refuses an empty name and unknown fields', async () => {
    const res = await create(`Bearer ${admin.token}`, { name: '', scopes: ['all'] });
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors).sort()).toEqual(['name', 'scopes']);
  });

  it('is refused to read_only and user roles', async () => {
    for (const role of ['read_only', 'user'] as const) {
      const member = await sys.addUser(admin.token, role);
      const res = await create(`Bearer ${member.token}`);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('lets a manager create keys', async () => {
    const manager = await sys.addUser(admin.token, 'manager');
    expect((await create(`Bearer ${manager.token}`)).statusCode).toBe(201);
  });
});

describe('an API key', () => {
  it('authenticates raw and as Bearer, for the company with manager rights', async () => {
    const key = await sys.apiKey(admin.token);
    for (const authorization of [key, `Bearer ${key}`]) {
      const res = await me(authorization);
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ user: null, company: { id: admin.companyId }, role: 'manager', credential: 'api_key' });
    }
  });

  it('shows when it was last used', async () => {
    const key = await sys.apiKey(admin.token, 'used');
    await me(key);
    const listed = (await list(admin.token)).json().data.find((k: { name: string }) => k.name === 'used');
    expect(listed.last_used_at).toEqual(expect.any(String));
  });

  it('with one character changed is refused', async () => {
    const key = await sys.apiKey(admin.token);
    const changed = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect((await me(changed)).statusCode).toBe(401);
  });
});

describe('POST /api/v1/api-keys/{id}/revoke', () => {
  it('stops the key at once and keeps it in the list with revoked_at', async () => {
    const created = (await create(`Bearer ${admin.token}`, { name: 'to revoke' })).json().data;
    expect((await me(created.key)).statusCode).toBe(200);

    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/api-keys/${created.id}/revoke`, headers: sys.auth(admin.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ id: created.id, revoked_at: expect.any(String) });
    expect(res.json().data).not.toHaveProperty('key');

    for (const authorization of [created.key, `Bearer ${created.key}`]) {
      const denied = await me(authorization);
      expect(denied.statusCode).toBe(401);
      expect(denied.json()).toEqual({ message: 'Unauthenticated.', error: { code: 'UNAUTHENTICATED' } });
    }
    const listed = (await list(admin.token)).json().data.find((k: { id: string }) => k.id === created.id);
    expect(listed.revoked_at).toEqual(expect.any(String));
  });

  it('answers 404 for another company key, which keeps working', async () => {
    const theirs = (await create(`Bearer ${other.token}`)).json().data;
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/api-keys/${theirs.id}/revoke`, headers: sys.auth(admin.token) });
    expect(res.statusCode).toBe(404);
    expect((await me(theirs.key)).statusCode).toBe(200);
  });

  it('is refused to read_only users', async () => {
    const created = (await create(`Bearer ${admin.token}`)).json().data;
    const reader = await sys.addUser(admin.token, 'read_only');
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/api-keys/${created.id}/revoke`, headers: sys.auth(reader.token) });
    expect(res.statusCode).toBe(403);
    expect((await me(created.key)).statusCode).toBe(200);
  });
});

describe('DELETE /api/v1/api-keys/{id}', () => {
  it('removes the key from the list and stops it, then answers 404', async () => {
    const created = (await create(`Bearer ${admin.token}`, { name: 'to delete' })).json().data;
    const del = () => sys.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${created.id}`, headers: sys.auth(admin.token) });
    const res = await del();
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await me(created.key)).statusCode).toBe(401);
    expect((await list(admin.token)).json().data.map((k: { id: string }) => k.id)).not.toContain(created.id);
    expect((await del()).statusCode).toBe(404);
  });

  it('answers 404 for another company key, which keeps working', async () => {
    const theirs = (await create(`Bearer ${other.token}`)).json().data;
    const res = await sys.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${theirs.id}`, headers: sys.auth(admin.token) });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    expect((await me(theirs.key)).statusCode).toBe(200);
  });
});

describe('GET /api/v1/api-keys', () => {
  it('lists only the company keys, in the list envelope, without keys or hashes', async () => {
    const mine = (await create(`Bearer ${admin.token}`, { name: 'mine' })).json().data;
    const theirs = (await create(`Bearer ${other.token}`, { name: 'theirs' })).json().data;
    const res = await list(admin.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.meta).toMatchObject({ current_page: 1, per_page: 25, total: body.data.length });
    const ids = body.data.map((k: { id: string }) => k.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    for (const key of body.data)
      expect(Object.keys(key).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at']);
    expect(res.body).not.toMatch(/hash/i);
  });

  it('is readable by read_only users', async () => {
    const reader = await sys.addUser(admin.token, 'read_only');
    expect((await list(reader.token)).statusCode).toBe(200);
  });
});
