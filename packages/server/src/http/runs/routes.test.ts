import type { FlowDefinition } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../../test-support/flows.js';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { startSink } from '../../test-support/sink.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

/** trigger → POST to the sink at `path` → POST again: two deliveries per run. */
function twoCalls(sinkUrl: string, path: string, retries = 0): FlowDefinition {
  const connector = (id: string) => ({
    id,
    shape: 'connector',
    config: { request: { method: 'POST', url: `${sinkUrl}${path}` }, retries, timeout_seconds: 5 },
  });
  return {
    steps: [{ id: 'trigger', shape: 'trigger', config: {} }, connector('first'), connector('second')],
    edges: [
      { from: 'trigger', to: 'first' },
      { from: 'first', to: 'second' },
    ],
  };
}

describe('the runs API', () => {
  let sys: Sys;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    sink = await startSink((d) => {
      if (d.url.startsWith('/fail')) return { status: 503, body: 'unavailable' };
      if (d.url.startsWith('/slow')) return { status: 200, body: '{}', delayMs: 400 };
      return { status: 200, body: '{"ok":true}' };
    });
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  async function flow(definition: FlowDefinition) {
    const created = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Runs test', definition } });
    const f = created.json().data;
    await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${f.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    return f.id as string;
  }
  const start = async (flowId: string, payload = '[]') =>
    (await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/start`, headers: h, payload: { payload } })).json()
      .flow_run_id as string;

  it('lists runs newest first with filters, sorting and the list envelope', async () => {
    const a = await flow(customersToCrm(sink.url));
    const b = await flow(customersToCrm(sink.url));
    const ids = [await start(a), await start(a), await start(b)];
    for (const id of ids) await waitForRun(sys.app, h, id);
    const all = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs?filter[flow_id]=${a},${b}`, headers: h })).json();
    expect(all.meta.total).toBe(3);
    expect(all.data.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
    const onlyA = (
      await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs?filter[flow_id]=${a}&filter[status]=success&per_page=1`, headers: h })
    ).json();
    expect(onlyA.meta).toMatchObject({ total: 2, per_page: 1, last_page: 2 });
    expect(onlyA.links.next).toContain('page=2');
    const oldest = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs?flow_id=${a}&sort=queued_at`, headers: h })).json();
    expect(oldest.data[0].id).toBe(ids[0]);
  });

  it('refuses unknown statuses, triggers, sorts and dates in filters with 422', async () => {
    for (const q of ['filter[status]=done', 'filter[trigger]=cron', 'sort=name', 'filter[started_after]=yesterday', 'per_page=500']) {
      const res = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs?${q}`, headers: h });
      expect(res.statusCode, q).toBe(422);
    }
  });

  it('fails a run whose target keeps failing and logs the step, attempt and reason', async () => {
    const id = await flow(twoCalls(sink.url, '/fail', 1));
    const runId = await start(id);
    const run = await waitForRun(sys.app, h, runId);
    expect(run.status).toBe('failure');
    expect(run.error).toMatch(/Step "first" failed after 2 attempts: .*503/);
    const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}/flow-run-logs`, headers: h })).json().data;
    const errors = logs.filter((l: { level: string }) => l.level === 'error');
    expect(errors.at(-1)).toMatchObject({ step_id: 'first', attempt: 2 });
  });

  it('retries a run as a new run of the same version with the original input, linked both ways', async () => {
    const id = await flow(customersToCrm(sink.url));
    const payload = JSON.parse(fixture('customers-10.payload.json')).payload as string;
    const original = await start(id, payload);
    await waitForRun(sys.app, h, original);
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/flow-runs/${original}/retry`, headers: h });
    expect(res.statusCode).toBe(200);
    const retry = res.json().data;
    expect(retry).toMatchObject({ trigger: 'retry', retry_of_run_id: original });
    const done = await waitForRun(sys.app, h, retry.id);
    expect(done.status).toBe('success');
    const input = await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${done.input_payload_id}/download`, headers: h });
    expect(input.body).toBe(payload);
  });

  it('stops a running run at the next step boundary', async () => {
    const id = await flow(twoCalls(sink.url, '/slow'));
    const before = sink.deliveries.filter((d) => d.url === '/slow').length;
    const runId = await start(id);
    // Wait until the first call is in flight, then ask for the stop.
    for (let i = 0; i < 100; i++) {
      const r = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}`, headers: h })).json().data;
      if (r.status === 'running') break;
      await new Promise((res) => setTimeout(res, 10));
    }
    const stop = await sys.app.inject({ method: 'POST', url: `/api/v1/flow-runs/${runId}/stop`, headers: h });
    expect(stop.statusCode).toBe(200);
    const run = await waitForRun(sys.app, h, runId);
    expect(run.status).toBe('stopped');
    expect(sink.deliveries.filter((d) => d.url === '/slow').length - before).toBe(1);
    const again = await sys.app.inject({ method: 'POST', url: `/api/v1/flow-runs/${runId}/stop`, headers: h });
    expect(again.statusCode).toBe(409);
  });

  it('streams status and log events of a live run as server-sent events', async () => {
    const id = await flow(twoCalls(sink.url, '/slow'));
    const runId = await start(id);
    await sys.app.listen({ port: 0, host: '127.0.0.1' });
    const address = sys.app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${address.port}/api/v1/flow-runs/${runId}/events`, { headers: h });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    expect(text).toContain('event: status');
    expect(text).toContain('event: log');
    expect(text).toContain('"status":"success"');
  });

  it("answers 404 for another company's runs, logs and payloads", async () => {
    const id = await flow(customersToCrm(sink.url));
    const runId = await start(id);
    const run = await waitForRun(sys.app, h, runId);
    for (const [method, url] of [
      ['GET', `/api/v1/flow-runs/${runId}`],
      ['GET', `/api/v1/flow-runs/${runId}/flow-run-logs`],
      ['GET', `/api/v1/flow-runs/${runId}/events`],
      ['POST', `/api/v1/flow-runs/${runId}/retry`],
      ['POST', `/api/v1/flow-runs/${runId}/stop`],
      ['GET', `/api/v1/payloads/${run.input_payload_id}`],
      ['GET', `/api/v1/payloads/${run.input_payload_id}/download`],
    ] as const) {
      const res = await sys.app.inject({ method, url, headers: other });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const list = (await sys.app.inject({ method: 'GET', url: '/api/v1/flow-runs', headers: other })).json();
    expect(list.data).toEqual([]);
  });
});
