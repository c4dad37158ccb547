import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector, createInstance, deployFlow, runFlow } from '../test-support/connector-flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';

const table = `weft_dbconn_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

function oneStepFlow(instance: string, endpoint: string, variables?: Record<string, string>) {
  return {
    format: 'json',
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 'db', shape: 'connector', config: { instance, endpoint, timeout_seconds: 10, ...(variables ? { variables } : {}) } },
    ],
    edges: [{ from: 'trigger', to: 'db' }],
  };
}

describe('a MySQL/MariaDB database connector', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let instanceId: string;
  let admin: mysql.Connection;

  beforeAll(async () => {
    admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' });
    await admin.query(`CREATE TABLE ${table} (id VARCHAR(20) PRIMARY KEY, customer VARCHAR(200) NOT NULL, total DECIMAL(10,2) NOT NULL)`);
    await admin.query(`INSERT INTO ${table} VALUES ('A-1', 'ada', 10.50), ('A-2', 'bob', 20.00)`);
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'] });
    h = sys.auth((await sys.register()).token);
    const connectorId = await createConnector(sys, h, {
      name: 'Shop DB',
      protocol: 'mysql',
      base_url: 'mysql://127.0.0.1:3306/test',
      auth_methods: [{ type: 'basic' }],
      endpoints: [
        {
          name: 'by customer',
          direction: 'receive',
          // A colon inside a string literal is not a parameter; the same parameter may appear twice.
          sql: `SELECT id, customer, total, 'a:b' AS tag FROM ${table} WHERE customer = :customer OR id = :customer ORDER BY id`,
          params: { customer: { value: '[[flow.customer]]', required: true } },
        },
        {
          name: 'insert',
          direction: 'send',
          sql: `INSERT INTO ${table} (id, customer, total) VALUES (:id, :customer, :total)`,
          params: { id: { field: 'id', required: true }, customer: { field: 'customer', required: true }, total: { field: 'total' } },
        },
        { name: 'broken', direction: 'receive', sql: `SELECT nope FROM ${table}` },
      ],
    });
    instanceId = await createInstance(sys, h, {
      connector_id: connectorId,
      name: 'Shop DB',
      auth_method: 'basic',
      credentials: { username: 'root', password: '' },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('receives rows with exact decimals, binding a repeated parameter', async () => {
    const flowId = await deployFlow(sys, h, 'Read', oneStepFlow(instanceId, 'by customer'));
    const run = await runFlow(sys, h, flowId, undefined, 'db', { customer: 'ada' });
    expect(run.error).toBeNull();
    expect(run.outputs).toEqual([[{ id: 'A-1', customer: 'ada', total: '10.50', tag: 'a:b' }]]);
  });

  it('inserts every record in one transaction and rolls back all of them when one fails', async () => {
    const flowId = await deployFlow(sys, h, 'Write', oneStepFlow(instanceId, 'insert'));
    const ok = await runFlow(
      sys,
      h,
      flowId,
      [
        { id: 'M-1', customer: "o'hara", total: 1.25 },
        { id: 'M-2', customer: 'x', total: 2 },
      ],
      'db',
    );
    expect(ok.error).toBeNull();
    expect(ok.outputs).toEqual([{ affected_rows: 2, records: 2 }]);
    const failed = await runFlow(
      sys,
      h,
      flowId,
      [
        { id: 'M-3', customer: 'y', total: 1 },
        { id: 'M-1', customer: 'dup', total: 1 },
      ],
      'db',
    );
    expect(failed.status).toBe('failure');
    expect(failed.error).toMatch(/MySQL\/MariaDB at 127\.0\.0\.1:3306 refused the query: Duplicate entry 'M-1'/);
    const [rows] = await admin.query(`SELECT id, customer FROM ${table} WHERE id LIKE 'M-%' ORDER BY id`);
    expect(rows).toEqual([
      { id: 'M-1', customer: "o'hara" },
      { id: 'M-2', customer: 'x' },
    ]);
  });

  it('binds an injection attempt as a plain value', async () => {
    const read = await deployFlow(sys, h, 'Injection', oneStepFlow(instanceId, 'by customer'));
    const run = await runFlow(sys, h, read, undefined, 'db', { customer: "' OR '1'='1" });
    expect(run.error).toBeNull();
    expect(run.outputs).toEqual([[]]);
    const [count] = await admin.query(`SELECT COUNT(*) AS n FROM ${table}`);
    expect(count).toEqual([{ n: expect.any(Number) }]);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const connectorId = await createConnector(sys, h, {
      name: 'Nobody home',
      protocol: 'mysql',
      base_url: 'mysql://127.0.0.1:1/test',
      endpoints: [{ name: 'one', direction: 'receive', sql: 'SELECT 1' }],
    });
    const instance = await createInstance(sys, h, { connector_id: connectorId, name: 'Nobody home' });
    const flowId = await deployFlow(sys, h, 'Refused', oneStepFlow(instance, 'one'));
    const run = await runFlow(sys, h, flowId, undefined, 'db');
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/could not reach MySQL\/MariaDB at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(run.logText).toContain('CONNECTOR_NETWORK_ERROR');
  });

  it('fails the step with the MariaDB message for an SQL error', async () => {
    const flowId = await deployFlow(sys, h, 'Broken', oneStepFlow(instanceId, 'broken'));
    const run = await runFlow(sys, h, flowId, undefined, 'db');
    expect(run.status).toBe('failure');
    expect(run.error).toContain("Unknown column 'nope'");
    expect(run.error).toContain('ER_BAD_FIELD_ERROR');
  });
});
