import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { startSink } from '../../test-support/sink.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('a flow calling an instance endpoint', () => {
  let sys: Sys;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let flowId: string;

  beforeAll(async () => {
    sink = await startSink((d) =>
      d.headers.authorization === `Bearer ${CANARY}`
        ? { status: 200, body: JSON.stringify({ stored: d.url }) }
        : { status: 401, body: JSON.stringify({ error: 'unauthorised', saw: d.headers.authorization ?? null }) },
    );
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
    const connector = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'ERP',
        protocol: 'http',
        base_url: 'http://{{host}}/erp',
        variables: { host: {} },
        auth_methods: [{ type: 'bearer' }],
        endpoints: [{ name: 'push order', method: 'POST', path: '/orders/{{order_id}}', data_type: 'json', direction: 'send' }],
      },
    });
    expect(connector.statusCode).toBe(201);
    const instance = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: {
        connector_id: connector.json().data.id,
        name: 'Live ERP',
        variables: { host: new URL(sink.url).host },
        auth_method: 'bearer',
        credentials: { token: CANARY },
      },
    });
    expect(instance.statusCode).toBe(201);
    const flow = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: {
        name: 'Orders to ERP',
        definition: {
          format: 'json',
          steps: [
            { id: 'trigger', shape: 'trigger', config: {} },
            {
              id: 'push',
              shape: 'connector',
              config: {
                instance: instance.json().data.id,
                endpoint: 'push order',
                variables: { order_id: '[[payload.id]]' },
                timeout_seconds: 5,
              },
            },
          ],
          edges: [{ from: 'trigger', to: 'push' }],
        },
      },
    });
    expect(flow.statusCode).toBe(201);
    flowId = flow.json().data.id;
    const deployed = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.json().data.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    expect(deployed.statusCode).toBe(200);
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  it('sends the bearer token to the target and keeps it out of the run log', async () => {
    const started = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/start`,
      headers: h,
      payload: { payload: JSON.stringify({ id: 'A-17', total: 12 }) },
    });
    expect(started.statusCode).toBe(200);
    const runId = started.json().flow_run_id;
    const run = await waitForRun(sys.app, h, runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe('success');

    const delivery = sink.deliveries.at(-1);
    expect(delivery?.url).toBe('/erp/orders/A-17');
    expect(delivery?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(delivery?.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ id: 'A-17', total: 12 });

    const logs = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}/flow-run-logs`, headers: h });
    expect(logs.statusCode).toBe(200);
    expect(logs.body).toContain('/erp/orders/A-17 answered 200');
    expect(logs.body).not.toContain(CANARY);
    const runBody = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}`, headers: h });
    expect(runBody.body).not.toContain(CANARY);
  });
});
