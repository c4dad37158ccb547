import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../test-support/canary.js';
import { createConnector, createInstance, runLogText } from '../test-support/connector-flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

/**
 * The acceptance flow of issue 4: every minute, pull orders page by page from a shop API (OAuth 2
 * client credentials, next-URL pagination), map, push to an ERP API (API key) and to PostgreSQL.
 * The flow and its connectors are the ones in examples/; the shop and the ERP are real HTTP
 * servers on 127.0.0.1, the database the real PostgreSQL, the schedule fired by the scheduler's
 * own tick with a chosen clock.
 */

const examples = new URL('../../../../examples/', import.meta.url);
const readExample = (path: string) => JSON.parse(readFileSync(new URL(path, examples), 'utf8')) as Record<string, unknown>;

const CLIENT_ID = 'weft-shop-client';
// Each secret carries the leak canary (test-support/canary.ts).
const CLIENT_SECRET = `shop-client-secret-${CANARY}`;
const ACCESS_TOKEN = `shop-access-token-${CANARY}`;
const ERP_KEY = `erp-api-key-${CANARY}`;
const DB_PASSWORD = `warehouse-db-password-${CANARY}`;
const SECRETS = [CLIENT_SECRET, ACCESS_TOKEN, ERP_KEY, DB_PASSWORD];

const PAGES = [
  [
    { id: 101, customer: { name: ' Ada ' }, total_cents: 1250 },
    { id: 102, customer: { name: 'Bob' }, total_cents: 999 },
  ],
  [{ id: 103, customer: { name: 'Cy' }, total_cents: 100000 }],
  [{ id: 104, customer: { name: 'Dee' }, total_cents: 1 }],
];

const schema = `weft_accept_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });

describe('the scheduled orders flow (shop → map → ERP and PostgreSQL)', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let flowId: string;
  let shop: Awaited<ReturnType<typeof startSink>>;
  let erp: Awaited<ReturnType<typeof startSink>>;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(
      `CREATE TABLE ${schema}.erp_orders (order_id text PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL, synced_at timestamptz)`,
    );

    shop = await startSink((d) => {
      if (d.method === 'POST' && d.url === '/oauth/token') {
        const form = new URLSearchParams(d.body);
        const ok =
          form.get('grant_type') === 'client_credentials' &&
          form.get('client_id') === CLIENT_ID &&
          form.get('client_secret') === CLIENT_SECRET;
        return ok
          ? { status: 200, body: JSON.stringify({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }) }
          : { status: 401, body: '{"error":"invalid_client"}' };
      }
      if (d.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return { status: 401, body: '{"error":"invalid_token"}' };
      const url = new URL(d.url, shop.url);
      if (url.pathname !== '/api/orders' || url.searchParams.get('status') !== 'paid') return { status: 404, body: '{}' };
      const page = Number(url.searchParams.get('page') ?? '1');
      const next = page < PAGES.length ? `${shop.url}/api/orders?status=paid&page=${page + 1}` : null;
      return { status: 200, body: JSON.stringify({ orders: PAGES[page - 1] ?? [], next }) };
    });
    erp = await startSink((d) =>
      d.headers['x-api-key'] === ERP_KEY && d.url === '/erp/orders'
        ? { status: 201, body: JSON.stringify({ accepted: (JSON.parse(d.body) as unknown[]).length }) }
        : { status: 403, body: '{"error":"forbidden"}' },
    );

    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    // The test fires the ticks itself, with its own clock.
    await sys.system.scheduler?.stop();
    h = sys.auth((await sys.register()).token);

    const shopConnector = readExample('connectors/shop-api.json');
    // The example speaks https to real hosts; the local stand-ins speak plain http.
    shopConnector.base_url = 'http://{{host}}';
    (shopConnector.auth_methods as Array<Record<string, unknown>>)[0]!.token_url = `${shop.url}/oauth/token`;
    const erpConnector = { ...readExample('connectors/erp-api.json'), base_url: 'http://{{host}}/erp' };
    const dbConnector = JSON.parse(
      JSON.stringify(readExample('connectors/warehouse-postgres.json')).replaceAll('erp_orders', `${schema}.erp_orders`),
    );

    const shopInstance = await createInstance(sys, h, {
      connector_id: await createConnector(sys, h, shopConnector),
      name: 'Shop',
      variables: { host: new URL(shop.url).host },
      auth_method: 'oauth2_client_credentials',
      credentials: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    });
    const erpInstance = await createInstance(sys, h, {
      connector_id: await createConnector(sys, h, erpConnector),
      name: 'ERP',
      variables: { host: new URL(erp.url).host },
      auth_method: 'api_key',
      credentials: { key: ERP_KEY },
    });
    const dbInstance = await createInstance(sys, h, {
      connector_id: await createConnector(sys, h, dbConnector),
      name: 'Warehouse',
      variables: { host: '127.0.0.1:5432', database: 'test' },
      auth_method: 'basic',
      credentials: { username: 'postgres', password: DB_PASSWORD },
    });

    const document = readExample('flows/orders-to-erp-and-postgres.json') as { flow: { name: string }; definition: unknown };
    const definition = JSON.parse(
      JSON.stringify(document.definition)
        .replace('SHOP_INSTANCE_ID', shopInstance)
        .replace('ERP_INSTANCE_ID', erpInstance)
        .replace('WAREHOUSE_INSTANCE_ID', dbInstance),
    );
    const flow = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: document.flow.name, definition },
    });
    expect(flow.statusCode, flow.body).toBe(201);
    flowId = flow.json().data.id;
    const deployed = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.json().data.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    expect(deployed.statusCode, deployed.body).toBe(200);
  });
  afterAll(async () => {
    await sys?.close();
    await shop?.close();
    await erp?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await admin.end();
  });

  it('runs once per minute tick, pulling every page, pushing each to the ERP and PostgreSQL, with every request logged and no secret anywhere', async () => {
    const scheduler = sys.system.scheduler!;
    const tick = new Date('2030-03-04T10:15:07.000Z');
    const [run] = await scheduler.tick(tick);
    expect(run?.flowId).toBe(flowId);
    // The same tick again (another process, a late timer) starts nothing new.
    expect(await scheduler.tick(new Date('2030-03-04T10:15:20.000Z'))).toEqual([]);

    const finished = await waitForRun(sys.app, h, run!.id, 30_000);
    expect(finished.error).toBeNull();
    expect(finished.status).toBe('success');
    expect(finished.trigger).toBe('schedule');

    // The shop: one token, then three pages following the next URLs.
    expect(shop.deliveries.map((d) => `${d.method} ${d.url}`)).toEqual([
      'POST /oauth/token',
      'GET /api/orders?status=paid',
      'GET /api/orders?status=paid&page=2',
      'GET /api/orders?status=paid&page=3',
    ]);
    // The ERP: one request per page, mapped, with the API key.
    expect(erp.deliveries.map((d) => JSON.parse(d.body))).toEqual([
      [
        { order_id: 'SHOP-101', customer: 'Ada', total: 12.5 },
        { order_id: 'SHOP-102', customer: 'Bob', total: 9.99 },
      ],
      [{ order_id: 'SHOP-103', customer: 'Cy', total: 1000 }],
      [{ order_id: 'SHOP-104', customer: 'Dee', total: 0.01 }],
    ]);
    // PostgreSQL: every order, once.
    const rows = await admin.query(`SELECT order_id, customer, total::float AS total FROM ${schema}.erp_orders ORDER BY order_id`);
    expect(rows.rows).toEqual([
      { order_id: 'SHOP-101', customer: 'Ada', total: 12.5 },
      { order_id: 'SHOP-102', customer: 'Bob', total: 9.99 },
      { order_id: 'SHOP-103', customer: 'Cy', total: 1000 },
      { order_id: 'SHOP-104', customer: 'Dee', total: 0.01 },
    ]);

    // The log shows the token request, every page, every ERP request and every database write.
    const logText = await runLogText(sys, h, run!.id);
    const messages = (JSON.parse(logText).data as Array<{ message: string }>).map((l) => l.message);
    const count = (pattern: RegExp) => messages.filter((m) => pattern.test(m)).length;
    expect(count(/^POST .*\/oauth\/token \(OAuth 2 token\) answered 200/)).toBe(1);
    expect(count(/^GET .*\/api\/orders\?status=paid answered 200/)).toBe(1);
    expect(count(/^GET .*\/api\/orders\?status=paid&page=2 answered 200/)).toBe(1);
    expect(count(/^GET .*\/api\/orders\?status=paid&page=3 answered 200/)).toBe(1);
    expect(count(/^POST .*\/erp\/orders answered 201/)).toBe(3);
    expect(count(/endpoint "upsert order" executed \d+ statements in one transaction/)).toBe(3);

    // No secret in the run, its logs or any payload it stored.
    const runJson = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run!.id}`, headers: h });
    const journal = await sys.store.loadJournal(run!.id);
    const payloadIds = journal.flatMap((r) => Object.values(r.outputs).flat());
    const payloads = await sys.store.loadPayloads(run!.id, payloadIds);
    expect(payloads.length).toBeGreaterThanOrEqual(3 + 3 + 3 + 3);
    const everything = [logText, runJson.body, ...payloads.map((p) => `${p.body.toString('utf8')} ${JSON.stringify(p.meta)}`)].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);

    // The next minute runs again; the cached token is reused and the upserts keep one row per order.
    const [second] = await scheduler.tick(new Date('2030-03-04T10:16:03.000Z'));
    expect(second).toBeDefined();
    expect((await waitForRun(sys.app, h, second!.id, 30_000)).status).toBe('success');
    expect(shop.deliveries.filter((d) => d.url === '/oauth/token')).toHaveLength(1);
    expect(erp.deliveries).toHaveLength(6);
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${schema}.erp_orders`)).rows).toEqual([{ n: 4 }]);
  });
});
