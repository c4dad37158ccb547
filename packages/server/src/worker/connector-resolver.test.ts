import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCredentialCipher } from '../crypto/credentials.js';
import { CANARY } from '../test-support/canary.js';
import { createTestSystem } from '../test-support/harness.js';
import { createConnectorResolver } from './connector-resolver.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

// The shared leak canary: the harness scans this system's database, logs and responses for it at close.
const SECRET = `${CANARY}-api-key`;
const CONNECTOR = {
  name: 'Shop',
  protocol: 'http',
  base_url: 'https://{{tenant}}.shop.example/{{version}}',
  variables: { tenant: {}, version: { default: 'v2' } },
  auth_methods: [{ type: 'api_key', name: 'key', in: 'query', param_name: 'api_key' }, { type: 'bearer' }],
  endpoints: [
    {
      name: 'list orders',
      method: 'GET',
      path: '/orders',
      query: { status: { value: 'open' } },
      data_type: 'json',
      direction: 'receive',
      pagination: { type: 'next_url', next_path: 'links.next', max_pages: 5 },
    },
    { name: 'push order', method: 'POST', path: '/orders/{{id}}', data_type: 'json', direction: 'send' },
  ],
};

describe('the connector resolver', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let companyId: string;
  let instanceId: string;
  let resolver: ReturnType<typeof createConnectorResolver>;

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    const owner = await sys.register();
    companyId = owner.companyId;
    h = sys.auth(owner.token);
    const connector = await sys.app.inject({ method: 'POST', url: '/api/v1/connectors', headers: h, payload: CONNECTOR });
    expect(connector.statusCode).toBe(201);
    const instance = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: {
        connector_id: connector.json().data.id,
        name: 'Acme shop',
        variables: { tenant: 'acme' },
        auth_method: 'key',
        credentials: { key: SECRET },
      },
    });
    expect(instance.statusCode).toBe(201);
    instanceId = instance.json().data.id;
    resolver = createConnectorResolver({ store: sys.store, cipher: await loadCredentialCipher(sys.store, sys.config) });
  });
  afterAll(() => sys.close());

  it('resolves an endpoint with the base URL filled in and the credentials decrypted', async () => {
    const resolved = await resolver.resolve(companyId, instanceId, 'list orders');
    expect(resolved).toMatchObject({
      instanceId,
      baseUrl: 'https://acme.shop.example/v2',
      variables: { tenant: 'acme', version: 'v2' },
      endpoint: {
        name: 'list orders',
        method: 'GET',
        path: '/orders',
        query: { status: { value: 'open' } },
        headers: {},
        data_type: 'json',
        direction: 'receive',
        pagination: { type: 'next_url', next_path: 'links.next', max_pages: 5 },
      },
      auth: { type: 'api_key', credentials: { key: SECRET }, settings: { in: 'query', param_name: 'api_key' } },
    });
  });

  it('answers from its cache for a while, then sees the instance as it is now', async () => {
    let clock = 1_000;
    const cached = createConnectorResolver({
      store: sys.store,
      cipher: await loadCredentialCipher(sys.store, sys.config),
      ttlMs: 100,
      now: () => clock,
    });
    expect((await cached.resolve(companyId, instanceId, 'push order')).variables.tenant).toBe('acme');
    const patched = await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/instances/${instanceId}`,
      headers: h,
      payload: { variables: { tenant: 'globex' } },
    });
    expect(patched.statusCode).toBe(200);
    expect((await cached.resolve(companyId, instanceId, 'push order')).variables.tenant).toBe('acme');
    clock += 101;
    const fresh = await cached.resolve(companyId, instanceId, 'push order');
    expect(fresh.baseUrl).toBe('https://globex.shop.example/v2');
    await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/instances/${instanceId}`,
      headers: h,
      payload: { variables: { tenant: 'acme' } },
    });
  });

  it('names the endpoints there are when asked for one that is not', async () => {
    await expect(resolver.resolve(companyId, instanceId, 'list customers')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
      message: 'connector "Shop" has no endpoint "list customers"; its endpoints: list orders, push order',
    });
  });

  it("refuses an unknown instance and another company's instance alike", async () => {
    const stranger = await sys.register();
    await expect(resolver.resolve(companyId, 'no-such-instance', 'list orders')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(resolver.resolve(stranger.companyId, instanceId, 'list orders')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `instance "${instanceId}" does not exist`,
    });
  });
});
