import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';

describe('notification groups API', () => {
  let sys: TestSystem;
  let h: { authorization: string };
  let other: { authorization: string };

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  const create = (payload: unknown, headers = h) =>
    sys.app.inject({ method: 'POST', url: '/api/v1/notification-groups', headers, payload: payload as object });

  it('creates, lists, reads, updates and deletes a group; members are trimmed and repeats dropped', async () => {
    const created = await create({ name: ' Ops ', emails: ['ann@ops.test', ' bob@ops.test', 'ANN@ops.test'] });
    expect(created.statusCode, created.body).toBe(201);
    const group = created.json().data;
    expect(group).toMatchObject({ name: 'Ops', emails: ['ann@ops.test', 'bob@ops.test'] });
    expect(Object.keys(group).sort()).toEqual(['created_at', 'emails', 'id', 'name', 'updated_at']);

    const list = (await sys.app.inject({ method: 'GET', url: '/api/v1/notification-groups', headers: h })).json();
    expect(list.data.map((g: { id: string }) => g.id)).toEqual([group.id]);
    expect(list.meta).toMatchObject({ total: 1, current_page: 1 });

    const patched = await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/notification-groups/${group.id}`,
      headers: h,
      payload: { emails: ['cy@ops.test'] },
    });
    expect(patched.json().data).toMatchObject({ name: 'Ops', emails: ['cy@ops.test'] });
    const got = await sys.app.inject({ method: 'GET', url: `/api/v1/notification-groups/${group.id}`, headers: h });
    expect(got.json().data.emails).toEqual(['cy@ops.test']);

    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/notification-groups/${group.id}`, headers: h })).statusCode).toBe(204);
    expect((await sys.app.inject({ method: 'GET', url: `/api/v1/notification-groups/${group.id}`, headers: h })).statusCode).toBe(404);
  });

  it('refuses bad member addresses with the index of each in the field path', async () => {
    const res = await create({ name: 'bad', emails: ['ok@x.test', 'not-an-email', 'two@@x.test', 'a b@x.test'] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(res.json().errors).sort()).toEqual(['emails[1]', 'emails[2]', 'emails[3]']);
    expect(res.json().errors['emails[1]']).toEqual(['must be an email address like ops@example.com, got "not-an-email"']);
  });

  it('refuses a missing or blank name, emails that are not a list of addresses, unknown fields and over a hundred members', async () => {
    expect((await create({ emails: [] })).json().errors).toHaveProperty('name');
    expect((await create({ name: '   ', emails: [] })).statusCode).toBe(422);
    expect((await create({ name: 'x', emails: { a: 'a@b.test' } })).json().errors).toHaveProperty('emails');
    expect((await create({ name: 'x', emails: [], extra: 1 })).statusCode).toBe(422);
    const many = Array.from({ length: 101 }, (_, i) => `u${i}@x.test`);
    expect((await create({ name: 'x', emails: many })).statusCode).toBe(422);
  });

  it('answers 409 for a name the company uses already, whatever its case, also on rename', async () => {
    expect((await create({ name: 'Finance', emails: [] })).statusCode).toBe(201);
    const dup = await create({ name: 'finance', emails: [] });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('CONFLICT');
    const second = (await create({ name: 'Sales', emails: [] })).json().data;
    const rename = await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/notification-groups/${second.id}`,
      headers: h,
      payload: { name: 'FINANCE' },
    });
    expect(rename.statusCode).toBe(409);
    // Another company may have its own "Finance".
    expect((await create({ name: 'Finance', emails: [] }, other)).statusCode).toBe(201);
  });

  it("answers 404 for another company's group, for every verb", async () => {
    const group = (await create({ name: 'Private', emails: ['p@x.test'] })).json().data;
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await sys.app.inject({
        method,
        url: `/api/v1/notification-groups/${group.id}`,
        headers: other,
        ...(method === 'PATCH' && { payload: { name: 'mine' } }),
      });
      expect(res.statusCode, method).toBe(404);
    }
    expect((await sys.app.inject({ method: 'GET', url: `/api/v1/notification-groups/${group.id}`, headers: h })).json().data.name).toBe(
      'Private',
    );
  });
});
