import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowDefinition } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlow, runFlow } from '../test-support/data-flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';

/** A real HTTP target on 127.0.0.1 that keeps every JSON body it receives and answers `status`. */
interface Target {
  url: string;
  bodies: unknown[];
  server: Server;
}

async function target(status: number): Promise<Target> {
  const bodies: unknown[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"ok":true}' : '{"error":"down for maintenance"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

const post = (id: string, url: string) => ({
  id,
  shape: 'connector',
  config: { request: { method: 'POST', url, headers: { 'Content-Type': 'application/json' } }, timeout_seconds: 10, retries: 0 },
});

/**
 * The acceptance flow of issue 3: route → (filter, flow_control → connector) and (split → dedupe →
 * try_catch → failing connector, catch → holding connector), through the HTTP API and the worker,
 * against real HTTP servers on 127.0.0.1.
 */
function definition(batches: string, erp: string, holding: string): FlowDefinition {
  return {
    format: 'json',
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 'route', shape: 'route', config: { method: 'all_matching', routes: [{ label: 'batches' }, { label: 'singles' }] } },
      { id: 'in_stock', shape: 'filter', config: { conditions: [{ field: 'qty', op: 'gt', value: 0 }] } },
      { id: 'pairs', shape: 'flow_control', config: { size: 2 } },
      post('send_batches', batches),
      { id: 'each', shape: 'split', config: {} },
      { id: 'new_only', shape: 'dedupe', config: { pool: 'orders', key_field: 'id' } },
      { id: 'guard', shape: 'try_catch', config: { on_error: 'partial_success' } },
      post('to_erp', erp),
      post('to_holding', holding),
    ],
    edges: [
      { from: 'trigger', to: 'route' },
      { from: 'route', to: 'in_stock', label: 'batches' },
      { from: 'in_stock', to: 'pairs' },
      { from: 'pairs', to: 'send_batches' },
      { from: 'route', to: 'each', label: 'singles' },
      { from: 'each', to: 'new_only' },
      { from: 'new_only', to: 'guard' },
      { from: 'guard', to: 'to_erp', label: 'try' },
      { from: 'guard', to: 'to_holding', label: 'catch' },
    ],
  };
}

interface LogJson {
  step_id: string | null;
  level: string;
  message: string;
  payload_ids_in: string[];
}

describe('acceptance: route, filter, flow_control, split, dedupe and try_catch end to end', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let batches: Target;
  let erp: Target;
  let holding: Target;
  let flow: { flowId: string; versionId: string };

  beforeAll(async () => {
    [batches, erp, holding] = await Promise.all([target(200), target(503), target(200)]);
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
    flow = await createFlow(sys, h, definition(`${batches.url}/batches`, `${erp.url}/orders`, `${holding.url}/held`), 'Orders');
  });
  afterAll(async () => {
    await sys.close();
    for (const t of [batches, erp, holding]) await new Promise((r) => t.server.close(r));
  });

  async function logsOf(runId: string): Promise<LogJson[]> {
    const res = await sys.app.inject({ url: `/api/v1/flow-runs/${runId}/flow-run-logs?per_page=100`, headers: h });
    return res.json().data as LogJson[];
  }

  async function payloadBody(id: string): Promise<unknown> {
    const res = await sys.app.inject({ url: `/api/v1/payloads/${id}/download`, headers: h });
    expect(res.statusCode).toBe(200);
    return JSON.parse(res.body);
  }

  it('sends the batches, sends new orders to the holding target when the ERP fails, and ends partial_success listing the failed payloads', async () => {
    const orders = [
      { id: 'A1', qty: 2 },
      { id: 'A2', qty: 0 },
      { id: 'A3', qty: 5 },
      { id: 'A1', qty: 2 },
    ];
    const run = await runFlow(sys, h, flow, orders);
    expect(run.status).toBe('partial_success');
    // The run's summary says what failed.
    expect(run.error).toMatch(/^Step "to_erp" failed after 1 attempt: .*503.* The try_catch step sent its payloads down the catch path\.$/);

    // route → filter → flow_control → connector: the in-stock orders, two per request.
    expect(batches.bodies).toEqual([
      [
        { id: 'A1', qty: 2 },
        { id: 'A3', qty: 5 },
      ],
      [{ id: 'A1', qty: 2 }],
    ]);
    // route → split → dedupe: the repeated A1 is gone; the ERP refused; the catch path held each order.
    expect(erp.bodies.length).toBeGreaterThanOrEqual(1);
    expect(holding.bodies).toEqual([
      { id: 'A1', qty: 2 },
      { id: 'A2', qty: 0 },
      { id: 'A3', qty: 5 },
    ]);

    // The runs API lists the failed payloads: the failing step's error names the payloads it was
    // given, and the catch log says where they went.
    const logs = await logsOf(run.id as string);
    const failed = logs.find((l) => l.step_id === 'to_erp' && l.level === 'error');
    expect(failed?.message).toContain('503');
    const caught = logs.find((l) => l.step_id === 'to_erp' && l.message.includes('go down the catch path'));
    expect(caught?.message).toBe('3 payloads of step "to_erp" go down the catch path of "guard".');
    expect(caught?.payload_ids_in).toEqual(failed?.payload_ids_in);
    expect(await Promise.all((caught?.payload_ids_in ?? []).map(payloadBody))).toEqual([
      { id: 'A1', qty: 2 },
      { id: 'A2', qty: 0 },
      { id: 'A3', qty: 5 },
    ]);
    const dedupe = logs.find((l) => l.step_id === 'new_only' && l.level === 'info');
    expect(dedupe?.message).toBe('dedupe: 3 new values of 3 in pool "orders"; 1 record of 4 removed (filter_and_track)');
    const runList = await sys.app.inject({
      url: `/api/v1/flow-runs?filter[status]=partial_success&filter[flow_id]=${flow.flowId}`,
      headers: h,
    });
    expect(runList.json().data.map((r: { id: string }) => r.id)).toEqual([run.id]);
  });

  it('sends only orders no earlier run saw on the next run', async () => {
    erp.bodies.length = 0;
    holding.bodies.length = 0;
    const run = await runFlow(sys, h, flow, [
      { id: 'A3', qty: 1 },
      { id: 'B1', qty: 1 },
    ]);
    expect(run.status).toBe('partial_success');
    expect(erp.bodies).toEqual([{ id: 'B1', qty: 1 }]);
    expect(holding.bodies).toEqual([{ id: 'B1', qty: 1 }]);
  });

  it('ends success when nothing new reaches the failing connector', async () => {
    holding.bodies.length = 0;
    const run = await runFlow(sys, h, flow, [{ id: 'A1', qty: 1 }]);
    expect(run.status).toBe('success');
    expect(run.error).toBeNull();
    expect(holding.bodies).toEqual([]);
  });
});
