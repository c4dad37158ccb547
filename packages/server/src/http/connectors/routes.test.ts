import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem } from '../../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

const SHOP_CONNECTOR = {
  name: 'Shop',
  protocol: 'http',
  base_url: 'https://{{shop}}.example.com/api',
  variables: { shop: { default: 'demo', description: 'The shop subdomain' } },
  auth_methods: [
    { type: 'oauth2_client_credentials', token_url: 'https://auth.example.com/token', scope: 'orders' },
    { type: 'api_key', name: 'legacy', in: 'header', param_name: 'X-Api-Key' },
  ],
  endpoints: [
    {
      name: 'orders',
      method: 'GET',
      path: '/orders',
      query: { since: { value: '{{since}}', required: false } },
      data_type: 'json',
      direction: 'receive',
      pagination: { type: 'next_url', next_path: 'links.next', max_pages: 50 },
    },
    { name: 'ship', method: 'POST', path: '/orders/{{id}}/ship', body: '{"carrier":"{{carrier}}"}', data_type: 'json', direction: 'send' },
  ],
};

describe('connectors API', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  const post = (payload: unknown, headers = h) =>
    sys.app.inject({ method: 'POST', url: '/api/v1/connectors', headers, payload: payload as object });

  it('creates a connector and returns it as GET and the list do', async () => {
    const res = await post(SHOP_CONNECTOR);
    expect(res.statusCode).toBe(201);
    const created = res.json().data;
    expect(created).toMatchObject(SHOP_CONNECTOR);
    expect(created.id).toEqual(expect.any(String));
    const got = await sys.app.inject({ method: 'GET', url: `/api/v1/connectors/${created.id}`, headers: h });
    expect(got.json().data).toEqual(created);
    const list = await sys.app.inject({ method: 'GET', url: '/api/v1/connectors?per_page=100', headers: h });
    expect(list.json().data).toContainEqual(created);
    expect(list.json().meta).toMatchObject({ current_page: 1, per_page: 100 });
  });

  it('defaults variables, auth methods and endpoints to empty', async () => {
    const res = await post({ name: 'Warehouse', protocol: 'postgres', base_url: 'postgres://db.example.com:5432/wms' });
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ variables: {}, auth_methods: [], endpoints: [] });
  });

  it('changes a connector, checking the merged document', async () => {
    const created = (await post(SHOP_CONNECTOR)).json().data;
    const url = `/api/v1/connectors/${created.id}`;
    const patched = await sys.app.inject({ method: 'PATCH', url, headers: h, payload: { name: 'Shop EU', endpoints: [] } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().data).toMatchObject({ name: 'Shop EU', endpoints: [], base_url: SHOP_CONNECTOR.base_url });

    // The stored https base URL does not fit a database protocol.
    const mismatch = await sys.app.inject({ method: 'PATCH', url, headers: h, payload: { protocol: 'mysql' } });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json().errors).toHaveProperty('base_url');
  });

  it('deletes a connector', async () => {
    const created = (await post(SHOP_CONNECTOR)).json().data;
    const url = `/api/v1/connectors/${created.id}`;
    expect((await sys.app.inject({ method: 'DELETE', url, headers: h })).statusCode).toBe(204);
    expect((await sys.app.inject({ method: 'GET', url, headers: h })).statusCode).toBe(404);
    expect((await sys.app.inject({ method: 'DELETE', url, headers: h })).statusCode).toBe(404);
  });

  it('refuses to delete a connector while an instance uses it, with 409', async () => {
    const created = (await post(SHOP_CONNECTOR)).json().data;
    const instance = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: { connector_id: created.id, name: 'Live' },
    });
    expect(instance.statusCode).toBe(201);
    const res = await sys.app.inject({ method: 'DELETE', url: `/api/v1/connectors/${created.id}`, headers: h });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('CONFLICT');
  });

  it.each([
    ['an unknown top-level field', { ...SHOP_CONNECTOR, colour: 'red' }, 'colour'],
    ['an unknown protocol', { ...SHOP_CONNECTOR, protocol: 'ftp' }, 'protocol'],
    ['a relative base URL', { ...SHOP_CONNECTOR, base_url: '/api' }, 'base_url'],
    ['a database URL for http', { ...SHOP_CONNECTOR, base_url: 'postgres://db/x' }, 'base_url'],
    ['an unknown auth type', { ...SHOP_CONNECTOR, auth_methods: [{ type: 'kerberos' }] }, 'auth_methods[0].type'],
    ['a secret in an auth method', { ...SHOP_CONNECTOR, auth_methods: [{ type: 'bearer', token: CANARY }] }, 'auth_methods[0].token'],
    [
      'an api key without its parameter',
      { ...SHOP_CONNECTOR, auth_methods: [{ type: 'api_key', in: 'header' }] },
      'auth_methods[0].param_name',
    ],
    [
      'a relative token URL',
      { ...SHOP_CONNECTOR, auth_methods: [{ type: 'oauth2_client_credentials', token_url: '/token' }] },
      'auth_methods[0].token_url',
    ],
    ['two auth methods of one name', { ...SHOP_CONNECTOR, auth_methods: [{ type: 'basic' }, { type: 'basic' }] }, 'auth_methods[1].name'],
    [
      'an unknown endpoint field',
      { ...SHOP_CONNECTOR, endpoints: [{ ...SHOP_CONNECTOR.endpoints[1], retries: 3 }] },
      'endpoints[0].retries',
    ],
    [
      'an unknown data type',
      { ...SHOP_CONNECTOR, endpoints: [{ ...SHOP_CONNECTOR.endpoints[1], data_type: 'yaml' }] },
      'endpoints[0].data_type',
    ],
    [
      'an unknown pagination type',
      { ...SHOP_CONNECTOR, endpoints: [{ ...SHOP_CONNECTOR.endpoints[1], pagination: { type: 'magic' } }] },
      'endpoints[0].pagination.type',
    ],
    [
      'two endpoints of one name',
      { ...SHOP_CONNECTOR, endpoints: [SHOP_CONNECTOR.endpoints[1], SHOP_CONNECTOR.endpoints[1]] },
      'endpoints[1].name',
    ],
    ['a bad variable', { ...SHOP_CONNECTOR, variables: { shop: { value: 'x' } } }, 'variables.shop.value'],
  ])('refuses %s with 422 naming the field', async (_what, body, path) => {
    const res = await post(body);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(res.json().errors)).toContain(path);
  });

  it("answers 404 for another company's connector and leaves it alone", async () => {
    const created = (await post(SHOP_CONNECTOR)).json().data;
    const url = `/api/v1/connectors/${created.id}`;
    expect((await sys.app.inject({ method: 'GET', url, headers: other })).statusCode).toBe(404);
    expect((await sys.app.inject({ method: 'PATCH', url, headers: other, payload: { name: 'hijacked' } })).statusCode).toBe(404);
    expect((await sys.app.inject({ method: 'DELETE', url, headers: other })).statusCode).toBe(404);
    const list = await sys.app.inject({ method: 'GET', url: '/api/v1/connectors', headers: other });
    expect(list.json().data.map((c: { id: string }) => c.id)).not.toContain(created.id);
    expect((await sys.app.inject({ method: 'GET', url, headers: h })).json().data.name).toBe('Shop');
  });
});
