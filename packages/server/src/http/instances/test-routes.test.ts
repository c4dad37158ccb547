import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem } from '../../test-support/harness.js';
import { startSink } from '../../test-support/sink.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('POST /api/v1/instances/{id}/test', () => {
  let sys: Sys;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let other: Record<string, string>;
  let connectorId: string;

  beforeAll(async () => {
    // The target echoes what it saw, the key included, as careless APIs do.
    sink = await startSink((d) =>
      d.url === '/token'
        ? new URLSearchParams(d.body).get('client_secret') === CANARY
          ? { status: 200, body: JSON.stringify({ access_token: `TOKEN-${CANARY}-1`, expires_in: 60 }) }
          : { status: 401, body: JSON.stringify({ error: 'invalid_client' }) }
        : d.headers['x-api-key'] === CANARY
          ? { status: 200, body: JSON.stringify({ orders: [], page: d.url }) }
          : { status: 403, body: JSON.stringify({ error: 'bad key', saw: d.headers['x-api-key'] ?? null }) },
    );
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'] }, { worker: false });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
    const connector = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Shop',
        protocol: 'http',
        base_url: `${sink.url}/api`,
        auth_methods: [{ type: 'api_key', in: 'header', param_name: 'X-Api-Key' }],
        endpoints: [
          { name: 'create order', method: 'POST', path: '/orders', data_type: 'json', direction: 'send' },
          {
            name: 'orders',
            method: 'GET',
            path: '/orders',
            data_type: 'json',
            direction: 'receive',
            pagination: { type: 'page_number', param: 'page' },
          },
          { name: 'health', method: 'GET', path: '/health', data_type: 'json', direction: 'receive' },
        ],
      },
    });
    connectorId = connector.json().data.id;
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  async function instance(key: string) {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: { connector_id: connectorId, name: 'Acme', auth_method: 'api_key', credentials: { key } },
    });
    return res.json().data.id as string;
  }
  const test = (id: string, payload: object = {}, headers = h) =>
    sys.app.inject({ method: 'POST', url: `/api/v1/instances/${id}/test`, headers, payload });

  it('calls the first receive endpoint once (never a send endpoint, never a second page) and answers ok', async () => {
    const id = await instance(CANARY);
    const before = sink.deliveries.length;
    const res = await test(id);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ ok: true, status: 200, endpoint: 'orders' });
    expect(sink.deliveries.slice(before).map((d) => `${d.method} ${d.url}`)).toEqual(['GET /api/orders']);
    expect(res.body).not.toContain(CANARY);
  });

  it('calls the endpoint it is given', async () => {
    const id = await instance(CANARY);
    const res = await test(id, { endpoint: 'health' });
    expect(res.json().data).toMatchObject({ ok: true, status: 200, endpoint: 'health' });
    expect(sink.deliveries.at(-1)?.url).toBe('/api/health');
  });

  it('answers the status and message of a refusal, with the secret the target echoed masked', async () => {
    const id = await instance(`${CANARY}-wrong`);
    const res = await test(id);
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ ok: false, status: 403, code: 'CONNECTOR_HTTP_ERROR' });
    expect(data.message).toMatch(/answered 403/);
    expect(res.body).not.toContain(CANARY);
  });

  it('answers a network failure with its code and no status', async () => {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Gone',
        protocol: 'http',
        base_url: 'http://127.0.0.1:9/api',
        endpoints: [{ name: 'ping', method: 'GET', path: '/', data_type: 'json', direction: 'receive' }],
      },
    });
    const inst = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: { connector_id: res.json().data.id, name: 'Gone' },
    });
    const tested = await test(inst.json().data.id);
    expect(tested.json().data).toMatchObject({ ok: false, status: null, code: 'CONNECTOR_NETWORK_ERROR' });
  });

  it('refuses an unknown endpoint and a connector without a receive endpoint with 422', async () => {
    const id = await instance(CANARY);
    const unknown = await test(id, { endpoint: 'nope' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors.endpoint[0]).toBe('must be one of create order, orders, health');
    const sendOnly = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Sink',
        protocol: 'http',
        base_url: `${sink.url}/api`,
        endpoints: [{ name: 'push', method: 'POST', path: '/x', data_type: 'json', direction: 'send' }],
      },
    });
    const inst = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: { connector_id: sendOnly.json().data.id, name: 'S' },
    });
    const none = await test(inst.json().data.id);
    expect(none.statusCode).toBe(422);
    expect(none.json().errors.endpoint[0]).toMatch(/no receive endpoint/);
    expect((await test(id, { endpoint: 'orders', extra: true })).statusCode).toBe(422);
  });

  it('fetches only the token of an OAuth 2 client credentials instance that has no receive endpoint', async () => {
    const connector = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Token only',
        protocol: 'http',
        base_url: `${sink.url}/api`,
        auth_methods: [{ type: 'oauth2_client_credentials', token_url: `${sink.url}/token` }],
        endpoints: [{ name: 'push', method: 'POST', path: '/x', data_type: 'json', direction: 'send' }],
      },
    });
    const make = async (secret: string) =>
      (
        await sys.app.inject({
          method: 'POST',
          url: '/api/v1/instances',
          headers: h,
          payload: {
            connector_id: connector.json().data.id,
            name: 'T',
            auth_method: 'oauth2_client_credentials',
            credentials: { client_id: 'weft', client_secret: secret },
          },
        })
      ).json().data.id as string;
    const before = sink.deliveries.length;
    const good = await test(await make(CANARY));
    expect(good.json().data).toMatchObject({ ok: true, status: 200, endpoint: null });
    expect(sink.deliveries.slice(before).map((d) => d.url)).toEqual(['/token']);
    const bad = await test(await make(`${CANARY}-wrong`));
    expect(bad.json().data).toMatchObject({ ok: false, status: 401, code: 'CONNECTOR_HTTP_ERROR' });
    expect(bad.json().data.message).toMatch(/OAuth 2 token request .* answered 401 without an access token \(invalid_client\)/);
    expect(bad.body).not.toContain(CANARY);
    expect(good.body).not.toContain(`TOKEN-${CANARY}-1`);
  });

  it('answers 404 for another company’s instance and an unknown id', async () => {
    const id = await instance(CANARY);
    expect((await test(id, {}, other)).statusCode).toBe(404);
    expect((await test('unknown-id')).statusCode).toBe(404);
  });
});
