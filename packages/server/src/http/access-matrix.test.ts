import type { Role } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../auth/types.js';
import { CANARY } from '../test-support/canary.js';
import { customersToCrm } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';

/**
 * The roles-and-tenancy matrix (quality.md §3): every route × every role × own/other company,
 * generated from the app's route table, so a route added without an entry here fails the suite.
 * Each entry documents the access the route needs and a body that passes validation, so that
 * the outcome checked is the access decision and not a 422.
 */
interface Entry {
  access: Access | false;
  body?: unknown;
}

const definition = customersToCrm('http://127.0.0.1:9');
const MATRIX: Record<string, Entry> = {
  'GET /healthz': { access: false },
  'GET /readyz': { access: false },
  'GET /metrics': { access: false },
  'GET /api/v1/openapi.json': { access: false },
  'GET /api/docs': { access: false },
  'GET /api/docs/static/index.html': { access: false },
  'GET /api/docs/static/swagger-initializer.js': { access: false },
  'GET /api/docs/json': { access: false },
  'GET /api/docs/yaml': { access: false },
  'GET /api/docs/static/*': { access: false },
  'GET /*': { access: false },
  'POST /api/v1/register': { access: false },
  'POST /api/v1/login': { access: false },
  'POST /fabric/api/login': { access: false },
  'POST /api/v1/logout': { access: 'read' },
  'GET /api/v1/me': { access: 'read' },
  'GET /api/v1/users': { access: 'read' },
  'POST /api/v1/users': {
    access: 'write',
    body: { name: 'New', email: 'new-{n}@matrix.test', password: `correct horse battery ${CANARY}`, role: 'user' },
  },
  'GET /api/v1/users/:id': { access: 'read' },
  // The owner renames themselves (still their company's administrator); the owner is never deleted, DELETE rows skip the role loop.
  'PATCH /api/v1/users/:id': { access: 'admin', body: { name: 'Owner Renamed' } },
  'DELETE /api/v1/users/:id': { access: 'admin' },
  'POST /api/v1/api-keys': { access: 'write', body: { name: 'matrix' } },
  'GET /api/v1/api-keys': { access: 'read' },
  'POST /api/v1/api-keys/:id/revoke': { access: 'write' },
  'DELETE /api/v1/api-keys/:id': { access: 'write' },
  'GET /api/v1/flows': { access: 'read' },
  'POST /api/v1/flows': { access: 'write', body: { name: 'Matrix' } },
  'GET /api/v1/flows/:flowId': { access: 'read' },
  'PATCH /api/v1/flows/:flowId': { access: 'write', body: { description: 'changed' } },
  'DELETE /api/v1/flows/:flowId': { access: 'write' },
  'GET /api/v1/flows/:flowId/versions': { access: 'read' },
  'GET /api/v1/flows/:flowId/export': { access: 'read' },
  'POST /api/v1/flows/import': { access: 'write', body: { flow: { name: 'Imported' }, definition } },
  'GET /api/v1/flow-versions/:versionId': { access: 'read' },
  'PUT /api/v1/flow-versions/:versionId': { access: 'write', body: { definition } },
  'POST /api/v1/flow-versions/:versionId/deploy': { access: 'write' },
  'POST /api/v1/flow-versions/:versionId/copy-to-draft': { access: 'write' },
  'POST /api/v1/flows/:flowId/start': { access: 'write', body: { payload: '[]' } },
  'POST /api/v1/flows/:flowId/start/:versionId': { access: 'write', body: { payload: '[]' } },
  'POST /api/v1/flows/:flowId/start/raw': { access: 'write', body: [] },
  'POST /api/v1/flows/:flowId/start/raw/:versionId': { access: 'write', body: [] },
  'POST /api/v1/flows/:flowId/manual': { access: 'write', body: { payload: '[]' } },
  'POST /api/v1/flows/:flowId/manual/:versionId': { access: 'write', body: { payload: '[]' } },
  'POST /api/v1/flows/:flowId/manual/raw': { access: 'write', body: [] },
  'POST /api/v1/flows/:flowId/manual/raw/:versionId': { access: 'write', body: [] },
  'GET /api/v1/flows/:flowId/schedules': { access: 'read' },
  'POST /api/v1/flows/:flowId/webhook': { access: 'write' },
  // Public, but answers 404 unless the ?signature= secret is the flow's.
  'GET /api/v1/webhooks/:companyId/:flowId': { access: false },
  'POST /api/v1/webhooks/:companyId/:flowId': { access: false, body: {} },
  'GET /api/v1/flow-runs': { access: 'read' },
  'GET /api/v1/flow-runs/:runId': { access: 'read' },
  'GET /api/v1/flow-runs/:runId/flow-run-logs': { access: 'read' },
  'GET /api/v1/flow-runs/:runId/events': { access: 'read' },
  'GET /api/v1/payloads/:payloadId': { access: 'read' },
  'GET /api/v1/payloads/:payloadId/download': { access: 'read' },
  'POST /api/v1/flow-runs/:runId/retry': { access: 'write' },
  'POST /api/v1/flow-runs/:runId/stop': { access: 'write' },
  'POST /api/v1/map/preview': { access: 'read', body: { rules: [{ source: 'a', target: 'b' }], payload: '{"a":1}' } },
  'GET /api/v1/connectors': { access: 'read' },
  'POST /api/v1/connectors': { access: 'write', body: { name: 'Matrix', protocol: 'http', base_url: 'https://matrix.example.com' } },
  'POST /api/v1/connectors/import/openapi': {
    access: 'write',
    body: {
      document: { openapi: '3.0.3', info: { title: 'Matrix', version: '1' }, servers: [{ url: 'https://m.example.com' }], paths: {} },
    },
  },
  'GET /api/v1/connectors/:connectorId': { access: 'read' },
  'PATCH /api/v1/connectors/:connectorId': { access: 'write', body: { name: 'changed' } },
  'DELETE /api/v1/connectors/:connectorId': { access: 'write' },
  'GET /api/v1/instances': { access: 'read' },
  // The connector id is company A's, filled in once it exists (beforeAll).
  'POST /api/v1/instances': { access: 'write', body: { connector_id: 'set-in-beforeAll', name: 'Matrix' } },
  'GET /api/v1/instances/:instanceId': { access: 'read' },
  'PATCH /api/v1/instances/:instanceId': { access: 'write', body: { name: 'changed', credentials: { key: `matrix-secret-${CANARY}` } } },
  'DELETE /api/v1/instances/:instanceId': { access: 'write' },
  'POST /api/v1/instances/:instanceId/test': { access: 'write', body: {} },
  'GET /api/v1/instances/:instanceId/oauth/authorize': { access: 'write' },
  // Public: the signed, single-use state stands in for a login.
  'GET /api/v1/oauth/callback': { access: false },
  'GET /api/v1/audit-logs': { access: 'admin' },
  'GET /api/v1/scripts': { access: 'read' },
  'POST /api/v1/scripts': { access: 'write', body: { name: 'matrix-{n}' } },
  'GET /api/v1/scripts/:scriptId': { access: 'read' },
  'PATCH /api/v1/scripts/:scriptId': { access: 'write', body: { description: 'changed' } },
  'DELETE /api/v1/scripts/:scriptId': { access: 'write' },
  'GET /api/v1/scripts/:scriptId/versions': { access: 'read' },
  'GET /api/v1/scripts/:scriptId/versions/:number': { access: 'read' },
  'POST /api/v1/scripts/:scriptId/deploy': { access: 'write' },
  'POST /api/v1/scripts/:scriptId/test': { access: 'write', body: { payload: { a: 1 } } },
  'GET /api/v1/lookup-tables': { access: 'read' },
  'POST /api/v1/lookup-tables': { access: 'write', body: { name: 'matrix-{n}', rows: [{ left: 'a', right: 'b' }] } },
  'GET /api/v1/lookup-tables/:tableId': { access: 'read' },
  'PATCH /api/v1/lookup-tables/:tableId': { access: 'write', body: { description: 'changed' } },
  'DELETE /api/v1/lookup-tables/:tableId': { access: 'write' },
  'GET /api/v1/lookup-tables/:tableId/rows': { access: 'read' },
  'PUT /api/v1/lookup-tables/:tableId/rows': { access: 'write', body: { rows: [{ left: 'a', right: 'b' }] } },
  'POST /api/v1/lookup-tables/:tableId/rows': { access: 'write', body: { rows: [{ left: 'c', right: 'd' }] } },
  'DELETE /api/v1/lookup-tables/:tableId/rows/:left': { access: 'write' },
  'POST /api/v1/lookup-tables/:tableId/import': { access: 'write', body: { csv: 'left,right\na,b\n' } },
  'GET /api/v1/lookup-tables/:tableId/export': { access: 'read' },
  'GET /api/v1/notification-groups': { access: 'read' },
  'POST /api/v1/notification-groups': { access: 'write', body: { name: 'matrix-{n}', emails: ['m@matrix.test'] } },
  'GET /api/v1/notification-groups/:groupId': { access: 'read' },
  'PATCH /api/v1/notification-groups/:groupId': { access: 'write', body: { emails: ['p@matrix.test'] } },
  'DELETE /api/v1/notification-groups/:groupId': { access: 'write' },
  'GET /api/v1/flow-runs/:runId/children': { access: 'read' },
  // Public, but answers 404 unless the ?signature= secret is the flow's.
  'GET /api/v1/callbacks/:companyId/:flowId': { access: false },
  'POST /api/v1/callbacks/:companyId/:flowId': { access: false, body: {} },
  'POST /api/v1/flows/:flowId/callback': { access: 'write', body: {} },
  'GET /api/v1/caches': { access: 'read' },
  'GET /api/v1/caches/:cacheId': { access: 'read' },
  'GET /api/v1/caches/:cacheId/entries': { access: 'read' },
  'GET /api/v1/caches/:cacheId/entries/:key': { access: 'read' },
  'DELETE /api/v1/caches/:cacheId': { access: 'write' },
  'DELETE /api/v1/caches/:cacheId/entries/:key': { access: 'write' },
  'GET /api/v1/data-pools': { access: 'read' },
  'POST /api/v1/data-pools': { access: 'write', body: { name: 'matrix-{n}' } },
  'GET /api/v1/data-pools/:poolId': { access: 'read' },
  'PATCH /api/v1/data-pools/:poolId': { access: 'write', body: { description: 'changed' } },
  'DELETE /api/v1/data-pools/:poolId': { access: 'write' },
  'GET /api/v1/data-pools/:poolId/values': { access: 'read' },
  'DELETE /api/v1/data-pools/:poolId/values': { access: 'write' },
  'POST /api/v1/data-pools/:poolId/values/import': { access: 'write', body: { csv: 'value\nmatrix\n' } },
  'GET /api/v1/data-pools/:poolId/values/export': { access: 'read' },
  'GET /api/v1/tracked-data': { access: 'read' },
};

const ROLES: Role[] = ['read_only', 'user', 'manager', 'administrator'];
const RANK: Record<Role, number> = { read_only: 0, user: 1, manager: 2, administrator: 3 };
const allowed = (role: Role, access: Access) => access === 'read' || (access === 'write' ? RANK[role] >= 2 : role === 'administrator');

describe('the roles and tenancy matrix', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  let admin: string;
  let ids: Record<string, string>;
  const tokens = {} as Record<Role | 'api_key' | 'other', Record<string, string>>;
  let n = 0;

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: true });
    const owner = await sys.register();
    admin = owner.token;
    for (const role of ROLES) tokens[role] = role === 'administrator' ? sys.auth(admin) : sys.auth((await sys.addUser(admin, role)).token);
    tokens.api_key = { authorization: await sys.apiKey(admin) };
    tokens.other = sys.auth((await sys.register()).token);
    // Company A's objects, for the other company to try.
    const h = sys.auth(admin);
    const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Owned', definition } })).json()
      .data;
    const start = (
      await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flows/${flow.id}/manual/${flow.draft_version_id}`,
        headers: h,
        payload: { payload: '' },
      })
    ).json();
    const run = await waitForRun(sys.app, h, start.flow_run_id);
    const key = (await sys.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: h, payload: { name: 'owned' } })).json().data;
    const connector = (
      await sys.app.inject({
        method: 'POST',
        url: '/api/v1/connectors',
        headers: h,
        payload: {
          name: 'Owned',
          protocol: 'http',
          base_url: 'https://owned.example.com',
          auth_methods: [{ type: 'api_key', in: 'header', param_name: 'X-Key' }],
        },
      })
    ).json().data;
    const instance = (
      await sys.app.inject({
        method: 'POST',
        url: '/api/v1/instances',
        headers: h,
        payload: { connector_id: connector.id, name: 'Owned', auth_method: 'api_key', credentials: { key: `owned-secret-${CANARY}` } },
      })
    ).json().data;
    MATRIX['POST /api/v1/instances']!.body = { connector_id: connector.id, name: 'Matrix' };
    const group = (
      await sys.app.inject({
        method: 'POST',
        url: '/api/v1/notification-groups',
        headers: h,
        payload: { name: 'Owned', emails: ['o@a.test'] },
      })
    ).json().data;
    const script = (await sys.app.inject({ method: 'POST', url: '/api/v1/scripts', headers: h, payload: { name: 'owned' } })).json().data;
    const table = (await sys.app.inject({ method: 'POST', url: '/api/v1/lookup-tables', headers: h, payload: { name: 'owned' } })).json()
      .data;
    // A data pool and a cache of company A (caches are made by flows, so this one is written to the store).
    const pool = (await sys.app.inject({ method: 'POST', url: '/api/v1/data-pools', headers: h, payload: { name: 'owned' } })).json().data;
    const ownedCache = { companyId: owner.companyId, name: 'owned', scope: 'company' as const, scopeId: '' };
    const ownedEntry = { key: 'owned-key', format: 'json' as const, body: Buffer.from('[1]'), meta: {}, expiresAt: null, append: false };
    await sys.store.putCacheEntry(ownedCache, { ...ownedEntry, maxBytes: 1000 });
    const cache = (await sys.store.listCaches(owner.companyId, {}, { page: 1, perPage: 1 })).rows[0]!;
    ids = {
      poolId: pool.id as string,
      cacheId: cache.id,
      key: 'owned-key',
      flowId: flow.id,
      versionId: flow.draft_version_id,
      runId: run.id as string,
      payloadId: run.input_payload_id as string,
      id: key.id,
      userId: owner.userId,
      companyId: owner.companyId,
      connectorId: connector.id as string,
      instanceId: instance.id as string,
      scriptId: script.id as string,
      number: '1',
      tableId: table.id as string,
      left: 'a',
      groupId: group.id as string,
    };
  });
  afterAll(() => sys.close());

  const urlFor = (pattern: string, params: Record<string, string>) =>
    pattern.replace(/:(\w+)/g, (_, name: string) =>
      name === 'id' && pattern.startsWith('/api/v1/users') ? params.userId! : params[name]!,
    );

  async function call(key: string, headers: Record<string, string>) {
    const [method, pattern] = key.split(' ') as [string, string];
    const entry = MATRIX[key]!;
    const body = entry.body === undefined ? undefined : JSON.parse(JSON.stringify(entry.body).replace('{n}', String(++n)));
    return sys.app.inject({
      method: method as 'GET',
      url: urlFor(pattern, ids),
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  }

  it('has an entry for every route, with the access the route declares', () => {
    const routes = sys.app.weftRoutes.map((r) => ({ key: `${r.method} ${r.url}`, access: r.access }));
    const missing = routes.filter((r) => !(r.key in MATRIX)).map((r) => r.key);
    expect(missing, 'routes without an entry in the matrix').toEqual([]);
    for (const r of routes) expect(r.access, r.key).toBe(MATRIX[r.key]!.access);
  });

  it('refuses every protected route without credentials with 401', async () => {
    for (const key of Object.keys(MATRIX).filter((k) => MATRIX[k]!.access !== false)) {
      const res = await call(key, {});
      expect(res.statusCode, key).toBe(401);
    }
  });

  it('refuses roles below the route’s access with 403 and lets the others through', async () => {
    for (const [key, entry] of Object.entries(MATRIX)) {
      if (entry.access === false || key.startsWith('DELETE') || key.includes('/revoke') || key.includes('/logout')) continue;
      for (const role of ROLES) {
        const res = await call(key, tokens[role]);
        if (allowed(role, entry.access)) expect([403, 401], `${role} ${key}`).not.toContain(res.statusCode);
        else expect(res.statusCode, `${role} ${key}`).toBe(403);
      }
      const byKey = await call(key, tokens.api_key);
      if (entry.access === 'admin') expect(byKey.statusCode, `api key ${key}`).toBe(403);
      else expect([403, 401], `api key ${key}`).not.toContain(byKey.statusCode);
    }
  });

  it("answers 404 for every route that names an object, when the object is another company's", async () => {
    for (const key of Object.keys(MATRIX).filter((k) => k.includes('/:'))) {
      const res = await call(key, tokens.other);
      expect(res.statusCode, key).toBe(404);
      expect(JSON.stringify(res.json()), key).not.toContain(ids.flowId);
    }
  });
});
