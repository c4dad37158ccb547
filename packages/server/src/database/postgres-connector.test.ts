import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../test-support/canary.js';
import { createConnector, createInstance, deployFlow, runFlow } from '../test-support/connector-flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';

const PASSWORD = `pg-secret-${CANARY}`;
const schema = `weft_dbconn_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });

function connectorStep(instance: string, endpoint: string, variables?: Record<string, string>) {
  return {
    id: 'db',
    shape: 'connector',
    config: { instance, endpoint, timeout_seconds: 10, ...(variables === undefined ? {} : { variables }) },
  };
}

function oneStepFlow(step: Record<string, unknown>) {
  return {
    format: 'json',
    steps: [{ id: 'trigger', shape: 'trigger', config: {} }, step],
    edges: [{ from: 'trigger', to: step.id }],
  };
}

describe('a PostgreSQL database connector', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let instanceId: string;
  let refusedInstanceId: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.orders (id text PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL, note text)`);
    await admin.query(`INSERT INTO ${schema}.orders VALUES ('A-1', 'ada', 10.5, null), ('A-2', 'bob', 20, null), ('A-3', 'ada', 7, null)`);
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
    const connectorId = await createConnector(sys, h, {
      name: 'Warehouse',
      protocol: 'postgres',
      base_url: 'postgres://{{host}}/test',
      variables: { host: {} },
      auth_methods: [{ type: 'basic' }],
      endpoints: [
        {
          name: 'orders of customer',
          direction: 'receive',
          sql: `SELECT id, customer, total::float AS total FROM ${schema}.orders WHERE customer = :customer ORDER BY id`,
          params: { customer: { value: '[[flow.customer]]', required: true } },
        },
        {
          name: 'insert order',
          direction: 'send',
          sql: `INSERT INTO ${schema}.orders (id, customer, total, note) VALUES (:id, :customer, :total, :note)`,
          params: {
            id: { field: 'id', required: true },
            customer: { field: 'customer.name', required: true },
            total: { field: 'total' },
            note: { field: 'note' },
          },
        },
        { name: 'broken', direction: 'receive', sql: `SELECT * FROM ${schema}.no_such_table` },
        { name: 'count orders', direction: 'receive', sql: `SELECT count(*)::int AS n FROM ${schema}.orders` },
      ],
    });
    instanceId = await createInstance(sys, h, {
      connector_id: connectorId,
      name: 'Warehouse live',
      variables: { host: '127.0.0.1:5432' },
      auth_method: 'basic',
      credentials: { username: 'postgres', password: PASSWORD },
    });
    refusedInstanceId = await createInstance(sys, h, {
      connector_id: connectorId,
      name: 'Nothing listens here',
      variables: { host: '127.0.0.1:1' },
      auth_method: 'basic',
      credentials: { username: 'postgres', password: PASSWORD },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('receives the rows of a query as one JSON payload, the parameter bound from a template', async () => {
    const flowId = await deployFlow(sys, h, 'Read orders', oneStepFlow(connectorStep(instanceId, 'orders of customer')));
    const run = await runFlow(sys, h, flowId, undefined, 'db', { customer: 'ada' });
    expect(run.error).toBeNull();
    expect(run.status).toBe('success');
    expect(run.outputs).toEqual([
      [
        { id: 'A-1', customer: 'ada', total: 10.5 },
        { id: 'A-3', customer: 'ada', total: 7 },
      ],
    ]);
    expect(run.logText).toContain('returned 2 rows');
    expect(run.logText).not.toContain(PASSWORD);
  });

  it('executes one statement per record in one transaction and reports the affected rows', async () => {
    const flowId = await deployFlow(sys, h, 'Write orders', oneStepFlow(connectorStep(instanceId, 'insert order')));
    const records = [
      { id: 'B-1', customer: { name: 'cy' }, total: 3, note: { gift: true } },
      { id: 'B-2', customer: { name: 'cy' }, total: 4 },
    ];
    const run = await runFlow(sys, h, flowId, records, 'db');
    expect(run.error).toBeNull();
    expect(run.outputs).toEqual([{ affected_rows: 2, records: 2 }]);
    expect(run.logText).toContain('executed 2 statements in one transaction, 2 rows affected');
    const stored = await admin.query(`SELECT id, note FROM ${schema}.orders WHERE customer = 'cy' ORDER BY id`);
    expect(stored.rows).toEqual([
      { id: 'B-1', note: '{"gift":true}' },
      { id: 'B-2', note: null },
    ]);
  });

  it('rolls the whole payload back when one record fails, and quotes the database in the step error', async () => {
    const flowId = await deployFlow(sys, h, 'Write duplicate', oneStepFlow(connectorStep(instanceId, 'insert order')));
    const records = [
      { id: 'C-1', customer: { name: 'dee' }, total: 1 },
      { id: 'A-1', customer: { name: 'dee' }, total: 1 },
    ];
    const run = await runFlow(sys, h, flowId, records, 'db');
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/duplicate key value violates unique constraint/);
    expect(run.error).toContain('SQLSTATE 23505');
    const stored = await admin.query(`SELECT id FROM ${schema}.orders WHERE customer = 'dee'`);
    expect(stored.rows).toEqual([]);
  });

  it('binds an injection attempt as a plain value', async () => {
    const attack = "x'); DROP TABLE orders; --";
    const flowId = await deployFlow(sys, h, 'Injection', oneStepFlow(connectorStep(instanceId, 'insert order')));
    const run = await runFlow(sys, h, flowId, { id: 'D-1', customer: { name: attack }, total: 1 }, 'db');
    expect(run.error).toBeNull();
    const stored = await admin.query(`SELECT customer FROM ${schema}.orders WHERE id = 'D-1'`);
    expect(stored.rows).toEqual([{ customer: attack }]);
    const read = await deployFlow(sys, h, 'Injection read', oneStepFlow(connectorStep(instanceId, 'orders of customer')));
    const found = await runFlow(sys, h, read, undefined, 'db', { customer: "' OR '1'='1" });
    expect(found.outputs).toEqual([[]]);
  });

  it('fails the step with the database message for an SQL error', async () => {
    const flowId = await deployFlow(sys, h, 'Broken', oneStepFlow(connectorStep(instanceId, 'broken')));
    const run = await runFlow(sys, h, flowId, undefined, 'db');
    expect(run.status).toBe('failure');
    expect(run.error).toContain(`relation "${schema}.no_such_table" does not exist`);
    expect(run.error).toContain('endpoint "broken"');
    expect(run.logText).toContain('DATABASE_QUERY_FAILED');
  });

  it('refuses a step variable that is not a parameter of the endpoint', async () => {
    const step = connectorStep(instanceId, 'orders of customer', { customer: 'ada', limit: '5' });
    const flowId = await deployFlow(sys, h, 'Unknown param', oneStepFlow(step));
    const run = await runFlow(sys, h, flowId, undefined, 'db');
    expect(run.status).toBe('failure');
    expect(run.error).toContain(
      'variables.limit of step "db" is not a parameter of endpoint "orders of customer"; its parameters: customer',
    );
  });

  it('fails a record that lacks a required parameter, naming the parameter and the field', async () => {
    const flowId = await deployFlow(sys, h, 'Missing param', oneStepFlow(connectorStep(instanceId, 'insert order')));
    const run = await runFlow(sys, h, flowId, { id: 'E-1', total: 2 }, 'db');
    expect(run.status).toBe('failure');
    expect(run.error).toContain(
      'parameter :customer of endpoint "insert order" is required but has no value (the record has no "customer.name")',
    );
  });

  it('reports a refused connection as a network error without the password', async () => {
    const flowId = await deployFlow(sys, h, 'Refused', oneStepFlow(connectorStep(refusedInstanceId, 'orders of customer')));
    const run = await runFlow(sys, h, flowId, undefined, 'db', { customer: 'ada' });
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/could not reach PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(run.logText).toContain('CONNECTOR_NETWORK_ERROR');
    expect(run.logText).not.toContain(PASSWORD);
  });

  it('tests an instance with its first receive query, and reports a refused connection', async () => {
    const test = (id: string, endpoint?: string) =>
      sys.app.inject({
        method: 'POST',
        url: `/api/v1/instances/${id}/test`,
        headers: h,
        payload: endpoint === undefined ? {} : { endpoint },
      });
    const broken = await test(instanceId, 'broken');
    expect(broken.statusCode).toBe(200);
    expect(broken.json().data).toMatchObject({ ok: false, code: 'DATABASE_QUERY_FAILED', endpoint: 'broken' });
    const refused = await test(refusedInstanceId, 'broken');
    expect(refused.json().data).toMatchObject({ ok: false, code: 'CONNECTOR_NETWORK_ERROR' });
    expect(refused.body).not.toContain(PASSWORD);
    const templated = await test(instanceId, 'orders of customer');
    // The query needs flow.customer, which a test has not: the template error names it.
    expect(templated.json().data).toMatchObject({ ok: false, code: 'TEMPLATE_ERROR' });
    const ok = await test(instanceId, 'count orders');
    expect(ok.json().data).toMatchObject({ ok: true, endpoint: 'count orders' });
    expect(ok.json().data.log).toEqual([expect.objectContaining({ message: 'endpoint "count orders" returned 1 rows' })]);
  });

  it('refuses an endpoint whose SQL uses a parameter it does not declare, and an auth method a database cannot use', async () => {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Bad',
        protocol: 'postgres',
        base_url: 'postgres://db.example.com/x',
        auth_methods: [{ type: 'bearer' }],
        endpoints: [{ name: 'q', direction: 'receive', sql: 'SELECT :a::int, :b', params: { a: {} }, method: 'GET' }],
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({
      'auth_methods[0].type': ['a database connector logs in with basic (username and password) or none'],
      'endpoints[0].method': ['unknown field'],
      'endpoints[0].sql': ['uses :b, which is not declared in params'],
    });
  });
});

describe('a database connector without the egress allow-list', () => {
  it('refuses a loopback database host', async () => {
    const sys = await createTestSystem({ egressAllow: [] });
    try {
      const h = sys.auth((await sys.register()).token);
      const connectorId = await createConnector(sys, h, {
        name: 'Local',
        protocol: 'postgres',
        base_url: 'postgres://127.0.0.1:5432/test',
        endpoints: [{ name: 'one', direction: 'receive', sql: 'SELECT 1 AS one' }],
      });
      const instanceId = await createInstance(sys, h, { connector_id: connectorId, name: 'Local' });
      const flowId = await deployFlow(sys, h, 'Local', oneStepFlow(connectorStep(instanceId, 'one')));
      const run = await runFlow(sys, h, flowId, undefined, 'db');
      expect(run.status).toBe('failure');
      expect(run.logText).toContain('EGRESS_DENIED');
      expect(run.error).toContain('127.0.0.1');
    } finally {
      await sys.close();
    }
  });
});
