import { randomBytes } from 'node:crypto';
import type { FlowDefinition } from '@weft/schema';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;

const definition = (shape: 'callback' | 'run_flow', config: Record<string, unknown>): FlowDefinition => ({
  format: 'json',
  steps: [
    { id: 'trigger', shape: 'trigger', config: { callback: { enabled: true, timeout_seconds: 20 } } },
    {
      id: 'tag',
      shape: 'map',
      config: {
        rules: [
          { source: 'n', target: 'n' },
          { source: 'n', target: 'tagged', transforms: [{ fn: 'prefix', args: { value: '#' } }] },
        ],
      },
    },
    { id: 'step', shape, config },
  ],
  edges: [
    { from: 'trigger', to: 'tag' },
    { from: 'tag', to: 'step' },
  ],
});

if (DATABASE_URL === undefined || REDIS_URL === undefined) {
  it.skip('callback and run_flow across systems on PostgreSQL and Redis: needs WEFT_TEST_DATABASE_URL and WEFT_TEST_REDIS_URL', () => {});
} else {
  /**
   * The distributed mode: one system only answers HTTP, another only works runs, sharing a
   * PostgreSQL schema and a BullMQ queue. The callback answer can only come from the store.
   */
  describe('callback and run_flow across systems on PostgreSQL and Redis', () => {
    const schema = `weft_test_cb_${randomBytes(5).toString('hex')}`;
    const shared = {
      databaseUrl: DATABASE_URL,
      databaseSchema: schema,
      databasePoolSize: 3,
      redisUrl: REDIS_URL,
      redisPrefix: `weft-test-${schema}`,
    };
    let api: TestSystem;
    let worker: TestSystem;

    beforeAll(async () => {
      api = await createTestSystem(shared, { worker: false });
      worker = await createTestSystem(shared, { worker: true });
    });
    afterAll(async () => {
      await worker?.close();
      await api?.close();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });

    it('answers a callback from the journal the worker system wrote, and run_flow children run there too', async () => {
      const user = await api.register();
      const h = api.auth(user.token);
      const create = async (name: string, def: FlowDefinition) => {
        const flow = (await api.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name, definition: def } })).json()
          .data;
        const deploy = await api.app.inject({
          method: 'POST',
          url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
          headers: h,
          payload: { enable: true },
        });
        expect(deploy.statusCode, deploy.body).toBe(200);
        return { id: flow.id as string, url: deploy.json().callback?.url as string };
      };
      await create('Child', definition('callback', {}));
      const parent = await create('Parent', definition('run_flow', { flow: 'Child', wait: true }));
      const answerFlow = await create('Answer', definition('callback', { status: 201 }));

      const res = await api.app.inject({
        method: 'POST',
        url: answerFlow.url,
        headers: { 'content-type': 'application/json' },
        payload: '{"n":"7"}',
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({ n: '7', tagged: '#7' });

      const start = await api.app.inject({ method: 'POST', url: `/api/v1/flows/${parent.id}/start/raw`, headers: h, payload: { n: '1' } });
      const run = await waitForRun(api.app, h, start.json().flow_run_id, 30_000);
      expect(run.status, String(run.error)).toBe('success');
      const children = (await api.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/children`, headers: h })).json().data;
      expect(children).toHaveLength(1);
      expect(children[0]).toMatchObject({ status: 'success', trigger: 'shape', parent_run_id: run.id });
    });
  });
}
