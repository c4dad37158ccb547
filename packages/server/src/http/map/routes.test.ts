import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../../test-support/flows.js';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';

const W1_RULES = (customersToCrm('http://127.0.0.1:1').steps[1]!.config as { rules: unknown[] }).rules;

describe('POST /api/v1/map/preview', () => {
  let sys: TestSystem;
  let h: { authorization: string };

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
  });
  afterAll(async () => {
    await sys.close();
  });

  const preview = (payload: unknown, headers: Record<string, string> = h) =>
    sys.app.inject({ method: 'POST', url: '/api/v1/map/preview', headers, payload: payload as Record<string, unknown> });

  it('maps the journey sample given as a string, as on the start endpoint', async () => {
    const sample = (JSON.parse(fixture('customers-10.payload.json')) as { payload: string }).payload;
    const res = await preview({ rules: W1_RULES, payload: sample });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ output: JSON.parse(fixture('customers-10.mapped.json')), errors: [] });
  });

  it('maps a JSON value sent as is', async () => {
    const res = await preview({ rules: [{ source: 'a', target: 'b', transforms: [{ fn: 'uppercase' }] }], payload: { a: 'x' } });
    expect(res.json().data).toEqual({ output: { b: 'X' }, errors: [] });
  });

  it('reads a string in the format it is told and writes the output format asked for', async () => {
    const res = await preview({
      rules: [{ source: '*.name', target: '*.title' }],
      payload: 'name,qty\nbolt,2\nnut,3\n',
      format: 'csv',
      output_format: 'csv',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.output).toBe('title\nbolt\nnut\n');
  });

  it('reports each bad rule by index and still applies the good ones', async () => {
    const res = await preview({
      rules: [
        { source: 'a', target: 'ok' },
        { source: 'a', target: '' },
        { source: 'a', target: 'n', transforms: [{ fn: 'to_numbr' }] },
        { source: 'a', target: 'num', transforms: [{ fn: 'to_number' }] },
      ],
      payload: { a: 'abc' },
    });
    expect(res.statusCode).toBe(200);
    const { output, errors } = res.json().data as { output: unknown; errors: { rule: number | null; message: string }[] };
    expect(output).toMatchObject({ ok: 'abc' });
    expect(errors.map((e) => e.rule)).toEqual([1, 2, 3]);
    for (const e of errors) expect(e.message).not.toBe('');
  });

  it('reports a sample that does not parse instead of failing the request', async () => {
    const res = await preview({ rules: [{ source: 'a', target: 'b' }], payload: '{"a": ', format: 'json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.output).toBeNull();
    expect(res.json().data.errors).toEqual([{ rule: null, message: expect.stringMatching(/^payload: /) }]);
  });

  it('refuses a body without rules or with unknown fields, naming the field', async () => {
    const missing = await preview({ payload: {} });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors).toHaveProperty('rules');
    const unknown = await preview({ rules: [], payload: {}, extra: 1 });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toHaveProperty('extra');
    const badFormat = await preview({ rules: [], payload: '', format: 'yaml' });
    expect(badFormat.statusCode).toBe(422);
  });

  it('needs a credential', async () => {
    const res = await preview({ rules: [], payload: {} }, {});
    expect(res.statusCode).toBe(401);
  });
});
