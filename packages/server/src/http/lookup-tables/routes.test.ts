import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { LOOKUP_CSV_MAX_BYTES } from './csv.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('lookup tables through the HTTP API', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    sys = await createTestSystem({});
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers = h) =>
    sys.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  async function createTable(body: Record<string, unknown>, headers = h) {
    const res = await call('POST', '/api/v1/lookup-tables', body, headers);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data as { id: string; name: string; row_count: number };
  }

  const COUNTRIES = [
    { left: 'GB', right: 'United Kingdom' },
    { left: 'UK', right: 'United Kingdom' },
    { left: 'FR', right: 'France' },
  ];

  it('creates a table with rows, lists, pages, renames and deletes it', async () => {
    const table = await createTable({ name: 'countries', description: 'ISO code → name', rows: COUNTRIES });
    expect(table).toMatchObject({ name: 'countries', description: 'ISO code → name', row_count: 3 });
    expect((await call('GET', `/api/v1/lookup-tables/${table.id}`)).json().data).toEqual(table);
    const rows = await call('GET', `/api/v1/lookup-tables/${table.id}/rows?per_page=2&page=2`);
    expect(rows.json()).toMatchObject({ data: [COUNTRIES[2]], meta: { total: 3, last_page: 2 } });
    expect((await call('GET', '/api/v1/lookup-tables')).json().data.map((t: { name: string }) => t.name)).toContain('countries');

    const renamed = await call('PATCH', `/api/v1/lookup-tables/${table.id}`, { name: 'country-names' });
    expect(renamed.json().data).toMatchObject({ name: 'country-names', row_count: 3 });
    expect((await call('DELETE', `/api/v1/lookup-tables/${table.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/lookup-tables/${table.id}`)).statusCode).toBe(404);
  });

  it('replaces rows, and adds or updates rows by their left value', async () => {
    const table = await createTable({ name: 'edits', rows: COUNTRIES });
    const merged = await call('POST', `/api/v1/lookup-tables/${table.id}/rows`, {
      rows: [
        { left: 'FR', right: 'République française' },
        { left: 'DE', right: 'Germany' },
      ],
    });
    expect(merged.json().data.row_count).toBe(4);
    const rows = (await call('GET', `/api/v1/lookup-tables/${table.id}/rows`)).json().data;
    expect(rows.slice(2)).toEqual([
      { left: 'FR', right: 'République française' },
      { left: 'DE', right: 'Germany' },
    ]);
    expect((await call('DELETE', `/api/v1/lookup-tables/${table.id}/rows/${encodeURIComponent('GB')}`)).statusCode).toBe(204);
    const missing = await call('DELETE', `/api/v1/lookup-tables/${table.id}/rows/GB`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe('The lookup table has no row with the left value "GB".');
    expect((await call('GET', `/api/v1/lookup-tables/${table.id}`)).json().data.row_count).toBe(3);
    const replaced = await call('PUT', `/api/v1/lookup-tables/${table.id}/rows`, { rows: [{ left: 'ES', right: 'Spain' }] });
    expect(replaced.json().data.row_count).toBe(1);
    const dupes = await call('PUT', `/api/v1/lookup-tables/${table.id}/rows`, { rows: [COUNTRIES[0], COUNTRIES[0]] });
    expect(dupes.statusCode).toBe(422);
    expect(dupes.json().errors).toEqual({ 'rows[1].left': ['repeats the left value of rows[0]'] });
  });

  it('imports CSV (replace or merge) and exports it back', async () => {
    const table = await createTable({ name: 'csv' });
    const csv = 'left,right\r\nGB,United Kingdom\r\n"A,B","say ""hi"""\r\n';
    const imported = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/lookup-tables/${table.id}/import`,
      headers: { ...h, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json().data.row_count).toBe(2);
    const merged = await call('POST', `/api/v1/lookup-tables/${table.id}/import?mode=merge`, { csv: 'right,left\nFrance,FR\n' });
    expect(merged.json().data.row_count).toBe(3);
    const exported = await call('GET', `/api/v1/lookup-tables/${table.id}/export`);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(exported.headers['content-disposition']).toBe('attachment; filename="csv.csv"');
    expect(exported.body).toBe(`${csv}FR,France\r\n`);
    const again = await call('POST', `/api/v1/lookup-tables/${table.id}/import`, { csv: 'left,right\nX,1\n' });
    expect(again.json().data.row_count).toBe(1);
  });

  it('refuses a bad CSV with 422 naming the line, and changes nothing', async () => {
    const table = await createTable({ name: 'strict', rows: COUNTRIES });
    const res = await call('POST', `/api/v1/lookup-tables/${table.id}/import`, { csv: 'left,right\nGB,UK\nFR\n' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      message: 'The CSV is invalid at line 3: expected 2 values (left and right), found 1.',
      errors: { 'csv.line[3]': ['expected 2 values (left and right), found 1'] },
    });
    const dup = await call('POST', `/api/v1/lookup-tables/${table.id}/import`, { csv: 'left,right\nGB,1\nGB,2\n' });
    expect(dup.json().message).toContain('line 3: the left value "GB" repeats line 2');
    expect((await call('POST', `/api/v1/lookup-tables/${table.id}/import`, { rows: [] })).statusCode).toBe(422);
    expect((await call('POST', `/api/v1/lookup-tables/${table.id}/import?mode=sideways`, { csv: 'left,right\n' })).statusCode).toBe(422);
    expect((await call('GET', `/api/v1/lookup-tables/${table.id}`)).json().data.row_count).toBe(3);
  });

  it('accepts a CSV of 5 MB (at most 100 000 rows) and refuses one over it', async () => {
    const table = await createTable({ name: 'big' });
    const line = (i: number) => `K${String(i).padStart(7, '0')},${'v'.repeat(52)}\n`;
    const count = Math.floor((LOOKUP_CSV_MAX_BYTES - 11) / line(0).length);
    const body = `left,right\n${Array.from({ length: count }, (_, i) => line(i)).join('')}`;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(LOOKUP_CSV_MAX_BYTES);
    const ok = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/lookup-tables/${table.id}/import`,
      headers: { ...h, 'content-type': 'text/csv' },
      payload: body,
    });
    expect(ok.statusCode, ok.body.slice(0, 300)).toBe(200);
    expect(ok.json().data.row_count).toBe(count);
    const tooBig = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/lookup-tables/${table.id}/import`,
      headers: { ...h, 'content-type': 'text/csv' },
      payload: `${body}${line(count)}`.padEnd(LOOKUP_CSV_MAX_BYTES + 1, '\n'),
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().message).toContain('larger than 5 MB');
  });

  it('refuses bad bodies and taken names with the field named', async () => {
    await createTable({ name: 'taken' });
    const taken = await call('POST', '/api/v1/lookup-tables', { name: 'taken' });
    expect(taken.statusCode).toBe(409);
    expect((await call('POST', '/api/v1/lookup-tables', { name: '' })).json().errors).toHaveProperty('name');
    expect((await call('POST', '/api/v1/lookup-tables', { name: 'x', rows: [{ left: '', right: 'y' }] })).json().errors).toHaveProperty([
      'rows[0].left',
    ]);
    expect((await call('POST', '/api/v1/lookup-tables', { name: 'x', rows: [{ left: 'a' }] })).json().errors).toHaveProperty([
      'rows[0].right',
    ]);
  });

  it("keeps tables to their company: another company's id is unknown and its flows cannot read them", async () => {
    const table = await createTable({ name: 'mine', rows: COUNTRIES });
    for (const [method, url, body] of [
      ['GET', `/api/v1/lookup-tables/${table.id}`],
      ['PATCH', `/api/v1/lookup-tables/${table.id}`, { description: 'x' }],
      ['GET', `/api/v1/lookup-tables/${table.id}/rows`],
      ['PUT', `/api/v1/lookup-tables/${table.id}/rows`, { rows: [] }],
      ['POST', `/api/v1/lookup-tables/${table.id}/rows`, { rows: [] }],
      ['POST', `/api/v1/lookup-tables/${table.id}/import`, { csv: 'left,right\n' }],
      ['GET', `/api/v1/lookup-tables/${table.id}/export`],
      ['DELETE', `/api/v1/lookup-tables/${table.id}/rows/GB`],
      ['DELETE', `/api/v1/lookup-tables/${table.id}`],
    ] as const) {
      expect((await call(method, url, body, other)).statusCode, `${method} ${url}`).toBe(404);
    }
    const preview = await call(
      'POST',
      '/api/v1/map/preview',
      { rules: [{ source: 'c', target: 'n', transforms: [{ fn: 'lookup', args: { table: 'mine' } }] }], payload: { c: 'GB' } },
      other,
    );
    expect(preview.json().data.errors).toEqual([
      { rule: 0, message: expect.stringContaining('lookup table "mine" does not exist in this company') },
    ]);
    expect((await call('GET', `/api/v1/lookup-tables/${table.id}/rows`)).json().meta.total).toBe(3);
  });

  it('maps through a lookup table in a flow run and in the map preview, with the on-miss behaviour chosen', async () => {
    await createTable({ name: 'codes', rows: COUNTRIES });
    const rules = [
      {
        source: '*.country',
        target: '*.country_name',
        transforms: [{ fn: 'lookup', args: { table: 'codes', on_miss: 'default', default: 'Unknown' } }],
      },
      { source: '*.name', target: '*.code', transforms: [{ fn: 'lookup', args: { table: 'codes', direction: 'right_to_left' } }] },
    ];
    const sample = [
      { country: 'UK', name: 'France' },
      { country: 'XX', name: 'Atlantis' },
    ];
    const expected = [
      { country_name: 'United Kingdom', code: 'FR' },
      { country_name: 'Unknown', code: 'Atlantis' },
    ];
    const preview = await call('POST', '/api/v1/map/preview', { rules, payload: JSON.stringify(sample) });
    expect(preview.json().data).toEqual({ output: expected, errors: [] });

    const flow = await call('POST', '/api/v1/flows', {
      name: 'lookup flow',
      definition: {
        format: 'json',
        steps: [
          { id: 'trigger', shape: 'trigger', config: {} },
          { id: 'map', shape: 'map', config: { rules } },
        ],
        edges: [{ from: 'trigger', to: 'map' }],
      },
    });
    expect(flow.statusCode, flow.body).toBe(201);
    const started = await call('POST', `/api/v1/flows/${flow.json().data.id}/manual/${flow.json().data.draft_version_id}`, {
      payload: JSON.stringify(sample),
    });
    const run = await waitForRun(sys.app, h, started.json().flow_run_id);
    expect(run.status, String(run.error)).toBe('success');
    const logs = (await call('GET', `/api/v1/flow-runs/${run.id}/flow-run-logs`)).json().data as Array<{
      step_id: string;
      payload_ids_out: string[];
    }>;
    const out = logs.find((l) => l.step_id === 'map' && l.payload_ids_out.length > 0)!.payload_ids_out[0];
    expect((await call('GET', `/api/v1/payloads/${out}/download`)).json()).toEqual(expected);

    // on_miss fail fails the step, naming the rule and the element.
    const failing = [{ source: '*.country', target: '*.n', transforms: [{ fn: 'lookup', args: { table: 'codes', on_miss: 'fail' } }] }];
    const failPreview = await call('POST', '/api/v1/map/preview', { rules: failing, payload: sample });
    expect(failPreview.json().data.errors).toEqual([
      { rule: 0, message: 'rules[0].transforms[0]: lookup: "XX" is not a left value of table "codes" (on_miss is fail) (element [1])' },
    ]);
  });

  it('runs a deployed script as a map transform in the preview', async () => {
    const script = (
      await call('POST', '/api/v1/scripts', {
        name: 'slug',
        code: 'function main({ payload }) { return { payload: String(payload).toLowerCase().replace(/[^a-z0-9]+/g, "-") }; }',
      })
    ).json().data;
    const rules = [{ source: 'title', target: 'slug', transforms: [{ fn: 'script', args: { script: 'slug' } }] }];
    const before = await call('POST', '/api/v1/map/preview', { rules, payload: { title: 'Hello World!' } });
    expect(before.json().data.errors).toEqual([{ rule: 0, message: expect.stringContaining('script "slug" has no deployed version') }]);
    await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    const after = await call('POST', '/api/v1/map/preview', { rules, payload: { title: 'Hello World!' } });
    expect(after.json().data).toEqual({ output: { slug: 'hello-world-' }, errors: [] });
  });
});
