import { randomBytes } from 'node:crypto';
import type { FlowDefinition } from '@weft/schema';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/types.js';
import { createScheduler } from './scheduler.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const noQueue = { enqueue: async () => {} };

const everyMinute: FlowDefinition = {
  steps: [
    { id: 'trigger', shape: 'trigger', config: { schedules: ['* * * * *'] } },
    { id: 'map', shape: 'map', config: { rules: [{ source: 'id', target: 'id' }] } },
  ],
  edges: [{ from: 'trigger', to: 'map' }],
};

if (DATABASE_URL === undefined) {
  it.skip('the scheduler on PostgreSQL: runs only when WEFT_TEST_DATABASE_URL names a database', () => {});
} else {
  const url = DATABASE_URL;

  describe('the scheduler on PostgreSQL', () => {
    const schema = `weft_test_${randomBytes(6).toString('hex')}`;
    let stores: Store[];

    beforeEach(async () => {
      // Two stores with their own pools on one schema: two server processes sharing one database.
      stores = [
        createPostgresStore({ connectionString: url, schema, poolSize: 4 }),
        createPostgresStore({ connectionString: url, schema, poolSize: 4 }),
      ];
      await stores[0]!.migrate();
      await stores[1]!.migrate();
    });

    afterEach(async () => {
      for (const store of stores) await store.close();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it('fires exactly one run per tick when two processes sharing one database tick every minute together', async () => {
      const [a, b] = stores as [Store, Store];
      const { company } = await a.createCompanyWithAdmin({
        companyName: 'Acme',
        name: 'Ann',
        email: `ann-${schema}@example.com`,
        passwordHash: 'x',
      });
      const flow = await a.createFlow(company.id, { name: 'Every minute', definition: everyMinute });
      await a.deployVersion(company.id, flow.draftVersionId, { enable: true });

      const first = createScheduler({ store: a, queue: noQueue });
      const second = createScheduler({ store: b, queue: noQueue });
      const fired = [];
      for (let minute = 0; minute < 5; minute++) {
        const at = (second: number) => new Date(Date.UTC(2030, 5, 1, 10, 15 + minute, second));
        // Each process ticks twice within the minute, both at the same moment first.
        fired.push(...(await Promise.all([first.tick(at(1)), second.tick(at(1)), first.tick(at(20)), second.tick(at(40))])).flat());
      }
      expect(fired).toHaveLength(5);
      const runs = await a.listRuns(company.id, { flowId: [flow.id], trigger: ['schedule'] }, '-queued_at', { page: 1, perPage: 50 });
      expect(runs.rows).toHaveLength(5);
    });
  });
}
