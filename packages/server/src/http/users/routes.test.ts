import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem, type TestSystem, type TestUser } from '../../test-support/harness.js';

let sys: TestSystem;
let admin: TestUser;
let manager: TestUser;
let readOnly: TestUser;

beforeAll(async () => {
  sys = await createTestSystem();
  admin = await sys.register({ company: 'Acme' });
  manager = await sys.addUser(admin.token, 'manager');
  readOnly = await sys.addUser(admin.token, 'read_only');
});

afterAll(async () => {
  await sys.close();
});

let n = 0;
const newUser = (role: string, extra: Record<string, unknown> = {}) => ({
  name: 'New Person',
  email: `new-${++n}@acme.test`,
  password: `a good long password ${CANARY}`,
  role,
  ...extra,
});

const createUser = (token: string, payload: Record<string, unknown>) =>
  sys.app.inject({ method: 'POST', url: '/api/v1/users', headers: sys.auth(token), payload });

describe('POST /api/v1/users', () => {
  it('lets a manager add a user who can then log in with that role', async () => {
    const body = newUser('user');
    const res = await createUser(manager.token, body);
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toEqual({
      id: expect.any(String),
      name: 'New Person',
      email: body.email,
      role: 'user',
      company_id: admin.companyId,
      created_at: expect.any(String),
    });
    const token = await sys.login(body.email, body.password);
    const me = await sys.app.inject({ method: 'GET', url: '/api/v1/me', headers: sys.auth(token) });
    expect(me.json().data.role).toBe('user');
  });

  it('lets an administrator add an administrator', async () => {
    const res = await createUser(admin.token, newUser('administrator'));
    expect(res.statusCode).toBe(201);
    expect(res.json().data.role).toBe('administrator');
  });

  it('does not let a manager add an administrator', async () => {
    const res = await createUser(manager.token, newUser('administrator'));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it('does not let an API key add an administrator, since it has manager rights', async () => {
    const key = await sys.apiKey(admin.token);
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: key },
      payload: newUser('administrator'),
    });
    expect(res.statusCode).toBe(403);
  });

  it('does not let read_only or user roles add anyone', async () => {
    const plain = await sys.addUser(admin.token, 'user');
    for (const caller of [readOnly, plain]) {
      const res = await createUser(caller.token, newUser('read_only'));
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('refuses a taken email in another case with 422 EMAIL_TAKEN', async () => {
    const res = await createUser(admin.token, newUser('user', { email: manager.email.toUpperCase() }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('EMAIL_TAKEN');
    expect(res.json().errors).toEqual({ email: ['is already taken'] });
  });

  it('refuses a short password, an unknown role and unknown fields, naming each', async () => {
    const res = await createUser(admin.token, newUser('owner', { password: 'short', company: 'Elsewhere' }));
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors).sort()).toEqual(['company', 'password', 'role']);
  });

  it('refuses a password over 1024 bytes', async () => {
    const res = await createUser(admin.token, newUser('user', { password: '€'.repeat(400) }));
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({ password: ['must be at most 1024 bytes'] });
  });
});

describe('GET /api/v1/users', () => {
  it('lists the company users to any role, in the list envelope, without password hashes', async () => {
    const res = await sys.app.inject({ method: 'GET', url: '/api/v1/users', headers: sys.auth(readOnly.token) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.meta).toMatchObject({ current_page: 1, per_page: 25, total: body.data.length, last_page: 1 });
    expect(body.links).toMatchObject({ first: '/api/v1/users?page=1', prev: null, next: null });
    const ids = body.data.map((u: { id: string }) => u.id);
    expect(ids).toEqual(expect.arrayContaining([admin.userId, manager.userId, readOnly.userId]));
    for (const user of body.data) expect(Object.keys(user).sort()).toEqual(['company_id', 'created_at', 'email', 'id', 'name', 'role']);
    expect(res.body).not.toMatch(/argon2|password/i);
  });

  it('pages with page and per_page', async () => {
    const res = await sys.app.inject({ method: 'GET', url: '/api/v1/users?per_page=1&page=2', headers: sys.auth(admin.token) });
    const body = res.json();
    expect(body.data).toHaveLength(1);
    expect(body.meta).toMatchObject({ current_page: 2, per_page: 1 });
    expect(body.links.prev).toBe('/api/v1/users?per_page=1&page=1');
  });

  it('does not show another company users', async () => {
    const other = await sys.register({ company: 'Other' });
    const res = await sys.app.inject({ method: 'GET', url: '/api/v1/users', headers: sys.auth(other.token) });
    expect(res.json().data.map((u: { id: string }) => u.id)).toEqual([other.userId]);
  });

  it('needs a credential', async () => {
    expect((await sys.app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/users/{id}', () => {
  it('returns a user of the company', async () => {
    const res = await sys.app.inject({ method: 'GET', url: `/api/v1/users/${manager.userId}`, headers: sys.auth(readOnly.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ id: manager.userId, email: manager.email, role: 'manager', company_id: admin.companyId });
    expect(res.json().data).not.toHaveProperty('password_hash');
  });

  it('answers 404 for another company user and for an unknown id', async () => {
    const other = await sys.register({ company: 'Other' });
    for (const id of [other.userId, 'no-such-user']) {
      const res = await sys.app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers: sys.auth(admin.token) });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
  });
});
