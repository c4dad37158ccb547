import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlow, lineFlow, runFlow } from '../../test-support/data-flows.js';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';

describe('tracked data: track_data steps record, GET /api/v1/tracked-data finds', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let flowId: string;
  let runIds: string[];

  beforeAll(async () => {
    sys = await createTestSystem();
    h = sys.auth((await sys.register()).token);
    const flow = await createFlow(
      sys,
      h,
      lineFlow([
        {
          id: 'track',
          shape: 'track_data',
          config: {
            fields: [
              { path: '*.order_number', entity: 'order' },
              { path: '*.customer.email', entity: 'customer' },
            ],
          },
        },
      ]),
    );
    flowId = flow.flowId;
    const first = await runFlow(sys, h, flow, [
      { order_number: 'LMUK62388', customer: { email: 'jane@example.com' } },
      { order_number: 'LMUK62389', customer: { email: 'jane@example.com' } },
    ]);
    const second = await runFlow(sys, h, flow, [{ order_number: 'LMUK62388' }]);
    expect([first.status, second.status]).toEqual(['success', 'success']);
    runIds = [first.id as string, second.id as string];
    // Another company tracks the same order number.
    const o = sys.auth((await sys.register()).token);
    await runFlow(
      sys,
      o,
      await createFlow(sys, o, lineFlow([{ id: 't', shape: 'track_data', config: { fields: [{ path: '*.n', entity: 'order' }] } }])),
      [{ n: 'LMUK62388' }],
    );
  });
  afterAll(() => sys.close());

  it('finds every run that carried an order, newest first, with flow, run and step', async () => {
    const res = await sys.app.inject({ url: '/api/v1/tracked-data?filter[entity]=order&filter[value]=LMUK62388', headers: h });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([
      {
        id: expect.any(String),
        entity: 'order',
        value: 'LMUK62388',
        flow_id: flowId,
        flow_run_id: runIds[1],
        step_id: 'track',
        created_at: expect.any(String),
      },
      {
        id: expect.any(String),
        entity: 'order',
        value: 'LMUK62388',
        flow_id: flowId,
        flow_run_id: runIds[0],
        step_id: 'track',
        created_at: expect.any(String),
      },
    ]);
    expect(res.json().meta).toEqual({ current_page: 1, per_page: 25, total: 2, last_page: 1 });
  });

  it('filters by any of several values, by run and by flow, and pages', async () => {
    const both = await sys.app.inject({ url: '/api/v1/tracked-data?filter[value]=LMUK62388,LMUK62389', headers: h });
    expect(both.json().meta.total).toBe(3);
    const byRun = await sys.app.inject({ url: `/api/v1/tracked-data?filter[run_id]=${runIds[0]}`, headers: h });
    expect(
      byRun
        .json()
        .data.map((t: { value: string }) => t.value)
        .sort(),
    ).toEqual(['LMUK62388', 'LMUK62389', 'jane@example.com']);
    const paged = await sys.app.inject({ url: `/api/v1/tracked-data?filter[flow_id]=${flowId}&per_page=2&page=2`, headers: h });
    expect(paged.json().data).toHaveLength(2);
    expect(paged.json().links.prev).toContain('page=1');
  });

  it('filters by date, from inclusive and to exclusive', async () => {
    const future = await sys.app.inject({ url: '/api/v1/tracked-data?filter[from]=2999-01-01T00:00:00Z', headers: h });
    expect(future.json().data).toEqual([]);
    const past = await sys.app.inject({ url: '/api/v1/tracked-data?filter[to]=2000-01-01', headers: h });
    expect(past.json().data).toEqual([]);
    const window = await sys.app.inject({ url: '/api/v1/tracked-data?filter[from]=2000-01-01&filter[to]=2999-01-01', headers: h });
    expect(window.json().meta.total).toBe(4);
  });

  it('refuses a date that is not ISO 8601 and a page out of range, naming the field', async () => {
    const bad = await sys.app.inject({ url: '/api/v1/tracked-data?filter[from]=yesterday', headers: h });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual({ 'filter[from]': ['must be one ISO 8601 date, got "yesterday"'] });
    const page = await sys.app.inject({ url: '/api/v1/tracked-data?per_page=1000', headers: h });
    expect(page.statusCode).toBe(422);
  });
});
