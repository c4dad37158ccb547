import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { customersToCrm } from '../../test-support/flows.js';
import { createTestSystem, type TestSystem, type TestUser } from '../../test-support/harness.js';

// Every secret these tests use carries the canary, so one scan of the listing finds any leak.
const PASSWORD = `pw-${CANARY}-correct horse`;
const CREDENTIAL = `cred-${CANARY}-value`;

interface AuditJson {
  id: string;
  company_id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  address: string | null;
  data: Record<string, unknown> | null;
  created_at: string;
}

let sys: TestSystem;
let admin: TestUser;
let other: TestUser;
let manager: TestUser;
/** Every token and key handed out, to scan the listing for. */
const secrets: string[] = [];
const definition = customersToCrm('http://127.0.0.1:9');

beforeAll(async () => {
  sys = await createTestSystem({}, { worker: false });
  admin = await sys.register({ company: 'Acme', password: PASSWORD });
  other = await sys.register({ company: 'Other', password: PASSWORD });
  manager = await sys.addUser(admin.token, 'manager', { password: PASSWORD });
  secrets.push(admin.token, other.token, manager.token);
});

afterAll(async () => {
  await sys.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (token: string, method: Method, url: string, payload?: unknown, remoteAddress = '198.51.100.10') =>
  sys.app.inject({
    method,
    url,
    headers: sys.auth(token),
    remoteAddress,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

async function auditLogs(token: string, query = ''): Promise<{ data: AuditJson[]; meta: { total: number } }> {
  const res = await call(token, 'GET', `/api/v1/audit-logs?per_page=100${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function entriesFor(targetId: string, token = admin.token): Promise<AuditJson[]> {
  return (await auditLogs(token, `&filter[target_id]=${encodeURIComponent(targetId)}`)).data;
}

function login(email: string, password: string, remoteAddress: string) {
  return sys.app.inject({ method: 'POST', url: '/api/v1/login', payload: { email, password }, remoteAddress });
}

describe('GET /api/v1/audit-logs', () => {
  it('records a successful login with the user, the company and the address', async () => {
    const res = await login(admin.email, PASSWORD, '203.0.113.21');
    expect(res.statusCode).toBe(200);
    secrets.push(res.json().token);
    const entry = (await auditLogs(admin.token, '&filter[action]=auth.login.succeeded')).data.find((e) => e.address === '203.0.113.21');
    expect(entry).toMatchObject({
      company_id: admin.companyId,
      actor_type: 'user',
      actor_id: admin.userId,
      target_type: 'user',
      target_id: admin.userId,
      outcome: 'success',
    });
  });

  it("records a failed login under the account's company, and one for an unknown email under no company", async () => {
    expect((await login(admin.email, `wrong-${CANARY}`, '203.0.113.22')).statusCode).toBe(401);
    expect((await login(`nobody-${CANARY}@weft.test`, `wrong-${CANARY}`, '203.0.113.23')).statusCode).toBe(401);

    const failed = (await auditLogs(admin.token, '&filter[action]=auth.login.failed')).data;
    expect(failed.filter((e) => e.address === '203.0.113.22')).toEqual([
      expect.objectContaining({
        company_id: admin.companyId,
        actor_type: 'anonymous',
        actor_id: null,
        target_type: 'user',
        target_id: admin.userId,
        outcome: 'failure',
      }),
    ]);
    for (const token of [admin.token, other.token]) {
      expect((await auditLogs(token)).data.filter((e) => e.address === '203.0.113.23')).toEqual([]);
    }
  });

  it('records the lockout once the account has failed too often', async () => {
    const target = await sys.addUser(admin.token, 'user', { password: PASSWORD });
    secrets.push(target.token);
    let status = 0;
    for (let i = 0; i < 10 && status !== 429; i++) status = (await login(target.email, `wrong-${CANARY}`, '203.0.113.24')).statusCode;
    expect(status).toBe(429);
    expect(await entriesFor(target.userId)).toContainEqual(
      expect.objectContaining({ action: 'auth.login.locked', outcome: 'failure', company_id: admin.companyId, address: '203.0.113.24' }),
    );
  });

  it('answers a failed login with 401 even when its audit entry cannot be written', async () => {
    const spy = vi.spyOn(sys.store, 'appendAudit').mockRejectedValueOnce(new Error('disk full'));
    try {
      expect((await login(other.email, `wrong-${CANARY}`, '203.0.113.25')).statusCode).toBe(401);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('records API keys created, revoked and deleted, by the user who did it', async () => {
    const created = await call(admin.token, 'POST', '/api/v1/api-keys', { name: 'audited' });
    const key = created.json().data as { id: string; key: string };
    secrets.push(key.key);
    expect((await call(admin.token, 'POST', `/api/v1/api-keys/${key.id}/revoke`)).statusCode).toBe(200);
    expect((await call(admin.token, 'DELETE', `/api/v1/api-keys/${key.id}`)).statusCode).toBe(204);

    const entries = await entriesFor(key.id);
    expect(entries.map((e) => e.action)).toEqual(['api_key.deleted', 'api_key.revoked', 'api_key.created']);
    for (const e of entries) {
      expect(e).toMatchObject({
        company_id: admin.companyId,
        actor_type: 'user',
        actor_id: admin.userId,
        target_type: 'api_key',
        outcome: 'success',
        address: '198.51.100.10',
      });
    }
  });

  it('records what an API key does with the key as the actor', async () => {
    const plain = await sys.apiKey(admin.token, 'robot');
    secrets.push(plain);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: sys.auth(plain),
      payload: { name: 'made by a key' },
    });
    secrets.push(created.json().data.key);
    const [entry] = await entriesFor(created.json().data.id);
    const robot = (await call(admin.token, 'GET', '/api/v1/api-keys')).json().data.find((k: { name: string }) => k.name === 'robot');
    expect(entry).toMatchObject({ action: 'api_key.created', actor_type: 'api_key', actor_id: robot.id });
  });

  it('records a user created', async () => {
    const user = await sys.addUser(admin.token, 'read_only', { password: PASSWORD });
    secrets.push(user.token);
    expect(await entriesFor(user.userId)).toContainEqual(
      expect.objectContaining({ action: 'user.created', actor_id: admin.userId, data: { role: 'read_only' }, outcome: 'success' }),
    );
  });

  it("records an instance's credentials set and changed, with the field names only", async () => {
    const connector = (
      await call(admin.token, 'POST', '/api/v1/connectors', {
        name: 'Shop',
        protocol: 'http',
        base_url: 'https://shop.example.com',
        auth_methods: [{ type: 'api_key', in: 'header', param_name: 'X-Key' }],
      })
    ).json().data;
    const created = await call(admin.token, 'POST', '/api/v1/instances', {
      connector_id: connector.id,
      name: 'Live',
      auth_method: 'api_key',
      credentials: { key: CREDENTIAL },
    });
    expect(created.statusCode, created.body).toBe(201);
    const instanceId = created.json().data.id as string;
    const changed = await call(manager.token, 'PATCH', `/api/v1/instances/${instanceId}`, { credentials: { key: `${CREDENTIAL}-2` } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await call(manager.token, 'PATCH', `/api/v1/instances/${instanceId}`, { name: 'Renamed' })).statusCode).toBe(200);

    const entries = await entriesFor(instanceId);
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'instance.credentials_changed',
        actor_id: manager.userId,
        data: { fields: ['key'], removed: false },
      }),
      expect.objectContaining({ action: 'instance.credentials_changed', actor_id: admin.userId, data: { fields: ['key'] } }),
    ]);
  });

  it('records deploys, enabling, disabling, imports and deletes of flows', async () => {
    const flow = (await call(admin.token, 'POST', '/api/v1/flows', { name: 'Audited', definition })).json().data;
    const deployed = await call(admin.token, 'POST', `/api/v1/flow-versions/${flow.draft_version_id}/deploy`, {});
    expect(deployed.statusCode, deployed.body).toBe(200);
    expect((await call(admin.token, 'PATCH', `/api/v1/flows/${flow.id}`, { enabled: true })).statusCode).toBe(200);
    expect((await call(admin.token, 'PATCH', `/api/v1/flows/${flow.id}`, { enabled: false })).statusCode).toBe(200);
    expect((await call(admin.token, 'PATCH', `/api/v1/flows/${flow.id}`, { description: 'not audited' })).statusCode).toBe(200);
    expect((await call(admin.token, 'DELETE', `/api/v1/flows/${flow.id}`)).statusCode).toBe(204);
    const imported = await call(admin.token, 'POST', '/api/v1/flows/import', { flow: { name: 'Imported' }, definition });
    expect(imported.statusCode, imported.body).toBe(201);

    expect((await entriesFor(flow.draft_version_id))[0]).toMatchObject({
      action: 'flow.deployed',
      target_type: 'flow_version',
      data: { flow_id: flow.id, number: 1, enable: false },
    });
    expect((await entriesFor(flow.id)).map((e) => e.action)).toEqual(['flow.deleted', 'flow.disabled', 'flow.enabled']);
    expect(await entriesFor(imported.json().data.id)).toEqual([
      expect.objectContaining({ action: 'flow.imported', target_type: 'flow', company_id: admin.companyId, outcome: 'success' }),
    ]);
  });

  it('refuses a manager with 403', async () => {
    const res = await call(manager.token, 'GET', '/api/v1/audit-logs');
    expect(res.statusCode).toBe(403);
  });

  it("shows another company none of the company's entries", async () => {
    const mine = await auditLogs(admin.token);
    const theirs = await auditLogs(other.token);
    expect(mine.meta.total).toBeGreaterThan(0);
    expect(theirs.data.every((e) => e.company_id === other.companyId)).toBe(true);
    const mineIds = new Set(mine.data.map((e) => e.id));
    expect(theirs.data.filter((e) => mineIds.has(e.id))).toEqual([]);
    expect(JSON.stringify(theirs)).not.toContain(admin.userId);
  });

  it('filters by date, from inclusive and to exclusive, and refuses a date that is not ISO 8601 with 422', async () => {
    const all = (await auditLogs(admin.token)).data;
    const pivot = all[Math.floor(all.length / 2)]!;
    const from = (await auditLogs(admin.token, `&filter[from]=${pivot.created_at}`)).data;
    const to = (await auditLogs(admin.token, `&filter[to]=${pivot.created_at}`)).data;
    expect(from.map((e) => e.id)).toContain(pivot.id);
    expect(to.map((e) => e.id)).not.toContain(pivot.id);
    expect(from.every((e) => e.created_at >= pivot.created_at)).toBe(true);
    expect(to.every((e) => e.created_at < pivot.created_at)).toBe(true);
    expect(from.length + to.length).toBe(all.length);
    expect((await auditLogs(admin.token, '&filter[to]=2000-01-01')).data).toEqual([]);

    for (const bad of ['yesterday', '1', '2026-13-45', '2026-01-01,2026-01-02']) {
      const res = await call(admin.token, 'GET', `/api/v1/audit-logs?filter[from]=${bad}`);
      expect(res.statusCode, bad).toBe(422);
    }
    expect((await call(admin.token, 'GET', '/api/v1/audit-logs?filter[to]=soon')).statusCode).toBe(422);
  });

  it('filters by action and actor, and answers with the list envelope', async () => {
    const body = await auditLogs(admin.token, `&filter[action]=api_key.created,user.created&filter[actor_id]=${admin.userId}`);
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((e) => ['api_key.created', 'user.created'].includes(e.action) && e.actor_id === admin.userId)).toBe(true);
    expect(body).toMatchObject({ meta: { current_page: 1, per_page: 100, total: body.data.length }, links: { prev: null, next: null } });
  });

  it('holds no password, token, API key or credential in any entry', async () => {
    const listing = JSON.stringify([await auditLogs(admin.token), await auditLogs(other.token)]);
    expect(listing).not.toContain(CANARY);
    for (const secret of secrets) expect(listing).not.toContain(secret);
  });
});
