import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, freePort, startWeft } from './weft-process.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;

/**
 * The callback trigger and run_flow with real processes: `weft api` answers the callback request while
 * only a separate `weft worker` (concurrency 1) runs flows, so the answer can only come from the
 * journal in PostgreSQL, and a parent waiting for its child must give its single slot back.
 */
if (DATABASE_URL === undefined || REDIS_URL === undefined) {
  it.skip('callback and run_flow across processes: runs only when WEFT_TEST_DATABASE_URL and WEFT_TEST_REDIS_URL are set', () => {});
} else {
  const databaseUrl = DATABASE_URL;
  const redisUrl = REDIS_URL;

  describe('callback and run_flow across weft api and weft worker processes', () => {
    const id = randomBytes(5).toString('hex');
    const schema = `weft_e2e_cb_${id}`;
    const prefix = `weft-e2e-cb-${id}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-cb-'));
    const children: ChildProcess[] = [];
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      const env = {
        WEFT_DATA_DIR: dataDir,
        WEFT_PORT: String(port),
        WEFT_DATABASE_URL: databaseUrl,
        WEFT_DATABASE_SCHEMA: schema,
        WEFT_DATABASE_POOL_SIZE: '4',
        WEFT_REDIS_URL: redisUrl,
        WEFT_REDIS_PREFIX: prefix,
        WEFT_LEASE_MS: '2000',
      };
      const api = startWeft(env, ['api']);
      children.push(api.child);
      await api.ready;
      const worker = startWeft(env, ['worker', '--concurrency', '1']);
      children.push(worker.child);
      await worker.ready;
      base = `http://127.0.0.1:${port}`;
    }, 60_000);

    afterAll(async () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
      const redis = new Redis(redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('answers a callback from the worker process and finishes a parent that waits for its child on one slot', {
      timeout: 90_000,
    }, async () => {
      const api = apiClient(base);
      await api.signUp(`ops-${id}@cb.test`);
      const deploy = async (name: string, definition: unknown) => {
        const flow = await api.call('POST', '/api/v1/flows', { name, definition });
        expect(flow.status, JSON.stringify(flow.body)).toBe(201);
        const deployed = await api.call('POST', `/api/v1/flow-versions/${flow.body.data.draft_version_id}/deploy`, { enable: true });
        expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
        return { id: flow.body.data.id as string, callbackUrl: deployed.body.callback?.url as string | undefined };
      };
      const trigger = { id: 'trigger', shape: 'trigger', config: { callback: { enabled: true, timeout_seconds: 30 } } };
      const double = {
        id: 'double',
        shape: 'map',
        config: { rules: [{ source: 'n', target: 'doubled', transforms: [{ fn: 'multiply', args: { by: 2 } }] }] },
      };
      await deploy('Doubler', { format: 'json', steps: [trigger, double], edges: [{ from: 'trigger', to: 'double' }] });
      const parent = await deploy('Parent', {
        format: 'json',
        steps: [
          trigger,
          { id: 'child', shape: 'run_flow', config: { flow: 'Doubler', wait: true } },
          { id: 'reply', shape: 'callback', config: { status: 201 } },
        ],
        edges: [
          { from: 'trigger', to: 'child' },
          { from: 'child', to: 'reply' },
        ],
      });

      // The request waits while the parent starts its child, gives its one slot back, and resumes.
      const res = await fetch(base + parent.callbackUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"n":21}',
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ doubled: 42 });
      const runId = res.headers.get('x-weft-flow-run-id');
      expect(runId).toBeTruthy();

      const kids = await api.call('GET', `/api/v1/flow-runs/${runId}/children`);
      expect(kids.body.data).toHaveLength(1);
      expect(kids.body.data[0]).toMatchObject({ status: 'success', trigger: 'shape', parent_run_id: runId });
    });
  });
}
