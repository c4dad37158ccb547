import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../../test-support/flows.js';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { startSink } from '../../test-support/sink.js';

describe('health, readiness and metrics', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'] });
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  it('answers liveness and readiness without credentials', async () => {
    expect((await sys.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await sys.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('reports runs by status, step durations and HTTP latency in Prometheus format', async () => {
    const h = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Metrics', definition: customersToCrm(sink.url) },
    });
    const flow = created.json().data;
    const start = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flow.id}/manual/${flow.draft_version_id}`,
      headers: h,
      payload: JSON.parse(fixture('customers-10.payload.json')),
    });
    await waitForRun(sys.app, h, start.json().flow_run_id);
    const res = await sys.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/weft_runs_finished_total\{status="success"\} [1-9]/);
    expect(res.body).toMatch(/weft_step_duration_seconds_count\{level="info"\} [1-9]/);
    expect(res.body).toMatch(
      /weft_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/flows\/:flowId\/manual\/:versionId",status="200"\} 1/,
    );
    expect(res.body).toContain('weft_queue_depth');
  });
});
