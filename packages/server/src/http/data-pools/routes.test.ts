import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlow, lineFlow, runFlow } from '../../test-support/data-flows.js';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';

describe('data pools API', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    sys = await createTestSystem();
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  const create = (name: string, headers = h) => sys.app.inject({ method: 'POST', url: '/api/v1/data-pools', headers, payload: { name } });

  it('creates, reads, renames and deletes a pool; another company sees none of it', async () => {
    const res = await create('customers');
    expect(res.statusCode).toBe(201);
    const pool = res.json().data;
    expect(pool).toEqual({
      id: expect.any(String),
      name: 'customers',
      description: '',
      values_count: 0,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect((await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}`, headers: other })).statusCode).toBe(404);
    const patched = await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/data-pools/${pool.id}`,
      headers: h,
      payload: { name: 'clients', description: 'seen clients' },
    });
    expect(patched.json().data).toMatchObject({ name: 'clients', description: 'seen clients' });
    expect((await sys.app.inject({ url: '/api/v1/data-pools?filter[name]=clients', headers: h })).json().meta.total).toBe(1);
    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/data-pools/${pool.id}`, headers: other })).statusCode).toBe(404);
    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/data-pools/${pool.id}`, headers: h })).statusCode).toBe(204);
    expect((await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}`, headers: h })).statusCode).toBe(404);
  });

  it('refuses a taken name, a bad name and unknown fields with the field named', async () => {
    await create('taken');
    const taken = await create('taken');
    expect(taken.statusCode).toBe(422);
    expect(taken.json().errors).toEqual({ name: ['is taken by another data pool'] });
    expect((await create('taken', other)).statusCode).toBe(201);
    const bad = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/data-pools',
      headers: h,
      payload: { name: 'has space', colour: 'red' },
    });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().errors).sort()).toEqual(['colour', 'name']);
  });

  it('lists the values a dedupe step recorded, and the step removes them from the next run', async () => {
    const flow = await createFlow(sys, h, lineFlow([{ id: 'dedupe', shape: 'dedupe', config: { pool: 'orders', key_field: 'id' } }]));
    const first = await runFlow(sys, h, flow, [{ id: 'A' }, { id: 'B' }, { id: 'A' }]);
    expect(first.status).toBe('success');
    const second = await runFlow(sys, h, flow, [{ id: 'B' }, { id: 'C' }]);
    const logs = (await sys.app.inject({ url: `/api/v1/flow-runs/${second.id}/flow-run-logs`, headers: h })).json().data as Array<{
      message: string;
    }>;
    expect(logs.map((l) => l.message)).toContain('dedupe: 1 new value of 2 in pool "orders"; 1 record of 2 removed (filter_and_track)');
    const pool = (await sys.app.inject({ url: '/api/v1/data-pools?filter[name]=orders', headers: h })).json().data[0];
    expect(pool.values_count).toBe(3);
    const values = await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}/values`, headers: h });
    expect(
      values
        .json()
        .data.map((v: { value: string }) => v.value)
        .sort(),
    ).toEqual(['A', 'B', 'C']);
    expect(values.json().data[0]).toEqual({ value: expect.any(String), first_seen: expect.any(String), last_seen: expect.any(String) });
    const filtered = await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}/values?filter[value]=C`, headers: h });
    expect(filtered.json().data.map((v: { value: string }) => v.value)).toEqual(['C']);
    expect((await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}/values`, headers: other })).statusCode).toBe(404);
  });

  it('imports values from CSV, exports them, and forgets them all', async () => {
    const pool = (await create('imported')).json().data;
    const csv = 'value,first_seen,last_seen\nSKU-1,2026-11-01T00:00:00Z,\n"SKU,2",,\nSKU-3,,\n';
    const imported = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/data-pools/${pool.id}/values/import`,
      headers: { ...h, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode).toBe(200);
    expect(imported.json().data).toMatchObject({ imported: 3, pool: { values_count: 3 } });
    const asJson = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/data-pools/${pool.id}/values/import`,
      headers: h,
      payload: { csv: 'value\nSKU-4\n' },
    });
    expect(asJson.json().data.imported).toBe(1);
    const exported = await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}/values/export`, headers: h });
    expect(exported.headers['content-type']).toContain('text/csv');
    const lines = exported.body.trim().split('\n');
    expect(lines[0]).toBe('value,first_seen,last_seen');
    expect(lines[1]).toMatch(/^SKU-1,2026-11-01T00:00:00.000Z,2026-11-01T00:00:00.000Z$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(['"SKU', 'SKU-1', 'SKU-3', 'SKU-4']);
    // A dedupe step now sees the imported values as seen.
    const flow = await createFlow(
      sys,
      h,
      lineFlow([{ id: 'dedupe', shape: 'dedupe', config: { pool: 'imported', key_field: 'sku', behaviour: 'filter' } }]),
    );
    const run = await runFlow(sys, h, flow, [{ sku: 'SKU,2' }, { sku: 'SKU-9' }]);
    const logs = (await sys.app.inject({ url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: h })).json().data as Array<{
      message: string;
    }>;
    expect(logs.some((l) => l.message.includes('1 record of 2 removed (filter)'))).toBe(true);
    const cleared = await sys.app.inject({ method: 'DELETE', url: `/api/v1/data-pools/${pool.id}/values`, headers: h });
    expect(cleared.json().data).toEqual({ removed: 4 });
    expect((await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}/values/export`, headers: h })).body).toBe(
      'value,first_seen,last_seen\n',
    );
  });

  it('refuses a bad CSV whole, naming the line, and adds nothing', async () => {
    const pool = (await create('strict')).json().data;
    const post = (payload: string) =>
      sys.app.inject({
        method: 'POST',
        url: `/api/v1/data-pools/${pool.id}/values/import`,
        headers: { ...h, 'content-type': 'text/csv' },
        payload,
      });
    const cases: Array<[string, Record<string, string[]>]> = [
      ['id\n1\n', { csv: ['needs a header row with a "value" column'] }],
      ['value,colour\n1,red\n', { csv: ['has unknown columns colour; the columns are value, first_seen, last_seen'] }],
      ['value\nok\n\n', {}],
      ['value,first_seen\nok,\n,2026-01-01T00:00:00Z\n', { 'csv.line 3': ['has an empty value'] }],
      ['value,first_seen\nok,yesterday\n', { 'csv.line 2': ['first_seen must be an ISO 8601 timestamp, got "yesterday"'] }],
      ['', { csv: ['is empty; send a header row "value" and one value per line'] }],
    ];
    for (const [csv, errors] of cases) {
      const res = await post(csv);
      if (Object.keys(errors).length === 0) continue;
      expect(res.statusCode, csv).toBe(422);
      expect(res.json().errors, csv).toEqual(errors);
    }
    const missing = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/data-pools/${pool.id}/values/import`,
      headers: h,
      payload: { rows: [] },
    });
    expect(missing.json().errors).toEqual({ csv: ['is required'] });
    expect((await sys.app.inject({ url: `/api/v1/data-pools/${pool.id}`, headers: h })).json().data.values_count).toBe(1);
    const other404 = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/data-pools/${pool.id}/values/import`,
      headers: other,
      payload: { csv: 'value\nx\n' },
    });
    expect(other404.statusCode).toBe(404);
  });
});
