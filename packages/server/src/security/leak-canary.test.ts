import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CANARY, filesUnder, findCanaryLeaks, postgresRows } from '../test-support/canary.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

// Every test system is scanned at close (test-support/harness.ts). This one goes through every kind of
// secret on purpose, each carrying the canary, and after close scans again itself with the secrets it
// names, so the test does not depend on what the harness recognises as issued secrets.

async function dropPostgresSchema(config: { databaseUrl?: string; databaseSchema: string }): Promise<void> {
  if (config.databaseUrl === undefined) return;
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${config.databaseSchema}" CASCADE`).finally(() => client.end());
}

describe('leak canaries', () => {
  it('no secret given to the product appears in the database, payload files, run logs, audit rows, responses or server logs', async () => {
    const logLines: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    const bearer = `${CANARY}-bearer-token`;
    const sink = await startSink((d) =>
      d.headers.authorization === `Bearer ${bearer}` ? { status: 200, body: '{"ok":true}' } : { status: 401, body: '{"error":"no"}' },
    );
    // A data directory of the test's own: the harness removes its own at close, and this test scans after.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-canary-'));
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5, logLevel: 'debug', dataDir }, { logStream });
    const secrets: string[] = [CANARY];
    const responses: string[] = [];
    let closed = false;
    try {
      const password = `${CANARY}-password`;
      const admin = await sys.register({ password });
      const h = sys.auth(admin.token);
      secrets.push(admin.token);
      await sys.app.inject({ method: 'POST', url: '/api/v1/login', payload: { email: admin.email, password: `${CANARY}-wrong-guess` } });
      const colleague = await sys.addUser(admin.token, 'manager', { password: `${CANARY}-colleague` });
      secrets.push(colleague.token);
      const apiKey = await sys.apiKey(admin.token, 'ci');
      secrets.push(apiKey);

      const connector = await sys.app.inject({
        method: 'POST',
        url: '/api/v1/connectors',
        headers: h,
        payload: {
          name: 'CRM',
          protocol: 'http',
          base_url: 'http://{{host}}',
          variables: { host: {} },
          auth_methods: [{ type: 'bearer' }],
          endpoints: [{ name: 'push', method: 'POST', path: '/customers', data_type: 'json', direction: 'send' }],
        },
      });
      const instance = await sys.app.inject({
        method: 'POST',
        url: '/api/v1/instances',
        headers: h,
        payload: {
          connector_id: connector.json().data.id,
          name: 'Live CRM',
          variables: { host: new URL(sink.url).host },
          auth_method: 'bearer',
          credentials: { token: bearer },
        },
      });
      expect(instance.statusCode).toBe(201);
      responses.push(instance.body);
      const definition = {
        format: 'json',
        steps: [
          { id: 'trigger', shape: 'trigger', config: { webhook: { enabled: true } } },
          { id: 'push', shape: 'connector', config: { instance: instance.json().data.id, endpoint: 'push', timeout_seconds: 5 } },
        ],
        edges: [{ from: 'trigger', to: 'push' }],
      };
      const flow = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'To CRM', definition } });
      const flowId = flow.json().data.id as string;
      await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flow-versions/${flow.json().data.draft_version_id}/deploy`,
        headers: h,
        payload: { enable: true },
      });
      const hook = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/webhook`, headers: h });
      secrets.push(hook.json().data.secret as string);

      const runIds: string[] = [];
      const started = await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flows/${flowId}/start`,
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { payload: '{"id":1,"name":"Ada"}' },
      });
      runIds.push(started.json().flow_run_id as string);
      const hookUrl = new URL(hook.json().data.url as string, 'http://localhost');
      const viaHook = await sys.app.inject({
        method: 'POST',
        url: `${hookUrl.pathname}${hookUrl.search}`,
        headers: { 'content-type': 'application/json' },
        payload: '{"id":2}',
      });
      runIds.push(viaHook.json().flow_run_id as string);
      for (const runId of runIds) {
        expect((await waitForRun(sys.app, h, runId)).status).toBe('success');
        for (const url of [`/api/v1/flow-runs/${runId}`, `/api/v1/flow-runs/${runId}/flow-run-logs`]) {
          responses.push((await sys.app.inject({ method: 'GET', url, headers: h })).body);
        }
      }
      expect(sink.deliveries.filter((d) => d.headers.authorization === `Bearer ${bearer}`)).toHaveLength(2);
      for (const url of [
        '/api/v1/audit-logs',
        '/api/v1/instances',
        `/api/v1/instances/${instance.json().data.id}`,
        '/api/v1/api-keys',
        '/api/v1/users',
      ]) {
        const res = await sys.app.inject({ method: 'GET', url, headers: h });
        expect(res.statusCode, url).toBe(200);
        responses.push(res.body);
      }
      // The audit log is not empty: the scan below reads real rows.
      expect(JSON.parse(responses.at(-5)!).data.length).toBeGreaterThan(3);

      await sys.close();
      closed = true;
      const logs = logLines.join('');
      expect(logs).toContain('run finished');
      // With the PostgreSQL store (WEFT_TEST_STORE=postgres) the data is there: every row of every table, as text.
      const leaks = await findCanaryLeaks({ dataDir: sys.dataDir, config: sys.config, logLines, responses, secrets });
      expect(leaks).toEqual([]);
      // The scan can see what it looks for: the database is there and readable.
      if (sys.config.databaseUrl === undefined) expect((await filesUnder(sys.dataDir)).some((f) => f.endsWith('weft.db'))).toBe(true);
      else expect((await postgresRows(sys.config)).some(([table, text]) => table === 'audit_logs' && text.length > 0)).toBe(true);
    } finally {
      if (!closed) await sys.close();
      await sink.close();
      await rm(dataDir, { recursive: true, force: true });
      await dropPostgresSchema(sys.config);
    }
  });
});
