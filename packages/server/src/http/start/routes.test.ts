import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../../test-support/flows.js';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { startSink } from '../../test-support/sink.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('the start API', () => {
  let sys: Sys;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let other: Record<string, string>;
  let flowId: string;
  let deployedId: string;
  let draftId: string;

  beforeAll(async () => {
    sink = await startSink();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], bodyLimitBytes: 64 * 1024, retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Customers to CRM', definition: customersToCrm(sink.url) },
    });
    flowId = created.json().data.id;
    deployedId = created.json().data.draft_version_id;
    await sys.app.inject({ method: 'POST', url: `/api/v1/flow-versions/${deployedId}/deploy`, headers: h, payload: { enable: true } });
    draftId = (await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${flowId}`, headers: h })).json().data.draft_version_id;
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  const start = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    sys.app.inject({
      method: 'POST',
      url,
      headers: { ...h, ...headers },
      ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object }),
    });

  it('accepts the stringified payload, answers "Flow initialised." and delivers the mapped records', async () => {
    const before = sink.deliveries.length;
    const res = await start(`/api/v1/flows/${flowId}/start`, JSON.parse(fixture('customers-10.payload.json')));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      message: 'Flow initialised.',
      data: { flow_id: flowId, flow_version_id: deployedId, status: 'queued', trigger: 'api' },
    });
    expect(body.flow_run_id).toBe(body.data.id);
    const run = await waitForRun(sys.app, h, body.flow_run_id);
    expect(run.status).toBe('success');
    const delivery = sink.deliveries[before]!;
    expect(JSON.parse(delivery.body)).toEqual(JSON.parse(fixture('customers-10.mapped.json')));
    expect(delivery.headers['idempotency-key']).toMatch(/\S{16,}/);
  });

  it('keeps the run, its per-step logs and payloads readable through the runs API', async () => {
    const res = await start(`/api/v1/flows/${flowId}/start`, JSON.parse(fixture('customers-10.payload.json')));
    const runId = res.json().flow_run_id;
    await waitForRun(sys.app, h, runId);
    const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}/flow-run-logs`, headers: h })).json()
      .data as Array<Record<string, unknown>>;
    expect(logs.map((l) => l.step_id)).toEqual(expect.arrayContaining(['trigger', 'map', 'send']));
    const mapLog = logs.find((l) => l.step_id === 'map' && (l.payload_ids_out as string[]).length === 1)!;
    const mapped = await sys.app.inject({
      method: 'GET',
      url: `/api/v1/payloads/${(mapLog.payload_ids_out as string[])[0]}/download`,
      headers: h,
    });
    expect(JSON.parse(mapped.body)).toEqual(JSON.parse(fixture('customers-10.mapped.json')));
    const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}`, headers: h })).json().data;
    const input = await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}/download`, headers: h });
    expect(input.headers['content-type']).toMatch(/application\/json/);
    expect(input.body).toBe(JSON.parse(fixture('customers-10.payload.json')).payload);
    const meta = (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}`, headers: h })).json().data;
    expect(meta).toMatchObject({ format: 'json', bytes: Buffer.byteLength(input.body) });
  });

  it('runs a named version, also a draft', async () => {
    const res = await start(`/api/v1/flows/${flowId}/start/${draftId}`, { payload: '[]' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.flow_version_id).toBe(draftId);
  });

  it('records trigger manual on the manual endpoint and runs a disabled flow there', async () => {
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Disabled', definition: customersToCrm(sink.url) },
    });
    const f = created.json().data;
    await sys.app.inject({ method: 'POST', url: `/api/v1/flow-versions/${f.draft_version_id}/deploy`, headers: h });
    const refused = await start(`/api/v1/flows/${f.id}/start`, { payload: '[]' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('FLOW_DISABLED');
    const manual = await start(`/api/v1/flows/${f.id}/manual`, { payload: '[]' });
    expect(manual.statusCode).toBe(200);
    expect(manual.json().data.trigger).toBe('manual');
  });

  it('answers 422 when no version is deployed and none is named', async () => {
    const created = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Undeployed' } });
    const res = await start(`/api/v1/flows/${created.json().data.id}/manual`, {});
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('NO_DEPLOYED_VERSION');
  });

  it('treats no body, {} and an empty payload string as an empty payload', async () => {
    for (const body of [undefined, {}, { payload: '' }]) {
      const res = await start(`/api/v1/flows/${flowId}/start`, body);
      expect(res.statusCode).toBe(200);
      const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${res.json().flow_run_id}`, headers: h })).json().data;
      const p = (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}`, headers: h })).json().data;
      expect(p.bytes).toBe(0);
    }
  });

  it('refuses a payload that is not a string, and other keys only, with 422 naming the field', async () => {
    const notString = await start(`/api/v1/flows/${flowId}/start`, { payload: [{ id: 1 }] });
    expect(notString.statusCode).toBe(422);
    expect(notString.json().errors.payload).toBeDefined();
    const otherKeys = await start(`/api/v1/flows/${flowId}/start`, { data: 'x' });
    expect(otherKeys.statusCode).toBe(422);
    expect(otherKeys.json().errors.data).toBeDefined();
    const array = await start(`/api/v1/flows/${flowId}/start`, [1, 2]);
    expect(array.statusCode).toBe(422);
  });

  it('detects XML, CSV and text inside the payload string when the flow does not fix a format', async () => {
    const def = customersToCrm(sink.url);
    delete def.format;
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Any format', definition: def },
    });
    const anyFormat = created.json().data;
    const cases: Array<[string, string]> = [
      [fixture('orders.xml'), 'xml'],
      [fixture('products.csv'), 'csv'],
      [fixture('note.txt'), 'text'],
    ];
    for (const [payload, format] of cases) {
      const res = await start(`/api/v1/flows/${anyFormat.id}/manual/${anyFormat.draft_version_id}`, { payload });
      const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${res.json().flow_run_id}`, headers: h })).json().data;
      const p = (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}`, headers: h })).json().data;
      expect(p.format, payload.slice(0, 20)).toBe(format);
    }
  });

  it("follows a redeploy and a draft's edits: the next start uses the newly deployed version and the draft's current format", async () => {
    const def = customersToCrm(sink.url);
    delete def.format;
    const created = (
      await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Moving', definition: def } })
    ).json().data;
    const inputFormat = async (res: { json(): { flow_run_id: string } }) => {
      const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${res.json().flow_run_id}`, headers: h })).json().data;
      return (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}`, headers: h })).json().data.format;
    };
    const csv = { payload: fixture('products.csv') };
    // The draft is read afresh at every start: editing its format changes how the next start reads the payload.
    expect(await inputFormat(await start(`/api/v1/flows/${created.id}/manual/${created.draft_version_id}`, csv))).toBe('csv');
    const edited = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${created.draft_version_id}`,
      headers: h,
      payload: { definition: { ...def, format: 'text' } },
    });
    expect(edited.statusCode).toBe(200);
    expect(await inputFormat(await start(`/api/v1/flows/${created.id}/manual/${created.draft_version_id}`, csv))).toBe('text');
    // Deploy v1 (text), start, then deploy the next draft (csv): the start after it runs the new version.
    await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${created.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    const first = await start(`/api/v1/flows/${created.id}/start`, csv);
    expect(first.json().data.flow_version_id).toBe(created.draft_version_id);
    expect(await inputFormat(first)).toBe('text');
    const next = (await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${created.id}`, headers: h })).json().data.draft_version_id;
    await sys.app.inject({ method: 'PUT', url: `/api/v1/flow-versions/${next}`, headers: h, payload: { definition: def } });
    await sys.app.inject({ method: 'POST', url: `/api/v1/flow-versions/${next}/deploy`, headers: h, payload: { enable: true } });
    const second = await start(`/api/v1/flows/${created.id}/start`, csv);
    expect(second.json().data.flow_version_id).toBe(next);
    expect(await inputFormat(second)).toBe('csv');
  });

  it('takes any JSON value on the raw endpoint, and XML, CSV or text by Content-Type', async () => {
    const json = await start(`/api/v1/flows/${flowId}/start/raw`, [{ id: 1 }]);
    expect(json.statusCode).toBe(200);
    const xml = await start(`/api/v1/flows/${flowId}/start/raw/${draftId}`, fixture('orders.xml'), { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(200);
    const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${xml.json().flow_run_id}`, headers: h })).json().data;
    const body = await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}/download`, headers: h });
    expect(body.body).toBe(fixture('orders.xml'));
    const csv = await start(`/api/v1/flows/${flowId}/manual/raw`, fixture('products.csv'), { 'content-type': 'text/csv' });
    expect(csv.statusCode).toBe(200);
    const empty = await start(`/api/v1/flows/${flowId}/start/raw`);
    expect(empty.statusCode).toBe(200);
  });

  it('answers 415 for an unsupported Content-Type, and for text on the standard endpoint', async () => {
    const res = await start(`/api/v1/flows/${flowId}/start/raw`, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    const std = await start(`/api/v1/flows/${flowId}/start`, 'hello', { 'content-type': 'text/plain' });
    expect(std.statusCode).toBe(415);
    expect(std.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 413 for a body over the limit, also when Content-Length lies', async () => {
    const big = 'x'.repeat(70 * 1024);
    const res = await start(`/api/v1/flows/${flowId}/start`, { payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('BODY_TOO_LARGE');
  });

  it('refuses XML with a DOCTYPE or entities with 422 and fetches nothing', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:1/">]><r>&x;</r>';
    const res = await start(`/api/v1/flows/${flowId}/start`, { payload: xxe });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('XML_REFUSED');
  });

  it('keeps __proto__ keys as plain data', async () => {
    const res = await start(`/api/v1/flows/${flowId}/start/raw/${draftId}`, '{"__proto__": {"polluted": true}, "a": 1}', {
      'content-type': 'application/json',
    });
    expect(res.statusCode).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 400 for JSON nested deeper than 512 levels', async () => {
    const deep = `${'['.repeat(600)}${']'.repeat(600)}`;
    const res = await start(`/api/v1/flows/${flowId}/start/raw`, deep, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
  });

  it('returns the first answer for a repeated Idempotency-Key and starts nothing new', async () => {
    const key = { 'idempotency-key': `order-${Date.now()}` };
    const first = await start(`/api/v1/flows/${flowId}/start`, { payload: '[]' }, key);
    const second = await start(`/api/v1/flows/${flowId}/start`, { payload: '[]' }, key);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    const runs = (
      await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs?filter[flow_id]=${flowId}&per_page=100`, headers: h })
    ).json();
    expect(runs.data.filter((r: { id: string }) => r.id === first.json().flow_run_id)).toHaveLength(1);
    const mismatch = await start(`/api/v1/flows/${flowId}/start`, { payload: '[{"id":2}]' }, key);
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const tooLong = await start(`/api/v1/flows/${flowId}/start`, { payload: '[]' }, { 'idempotency-key': 'k'.repeat(256) });
    expect(tooLong.statusCode).toBe(422);
  });

  it('turns X-Weft-Meta headers into the payload meta', async () => {
    const res = await start(`/api/v1/flows/${flowId}/start/${draftId}`, { payload: '[]' }, { 'x-weft-meta-order-ref': 'LMUK62388' });
    const run = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${res.json().flow_run_id}`, headers: h })).json().data;
    const p = (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}`, headers: h })).json().data;
    expect(p.meta).toEqual({ 'order-ref': 'LMUK62388' });
  });

  it("answers 404 for unknown flows, a version of another flow, and another company's flow", async () => {
    expect((await start('/api/v1/flows/nope/start', {})).statusCode).toBe(404);
    const created = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Second' } });
    const otherVersion = created.json().data.draft_version_id;
    expect((await start(`/api/v1/flows/${flowId}/start/${otherVersion}`, {})).statusCode).toBe(404);
    const foreign = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/start`,
      headers: other,
      payload: { payload: '[]' },
    });
    expect(foreign.statusCode).toBe(404);
  });

  it('answers 401 without credentials', async () => {
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/start`, payload: { payload: '[]' } });
    expect(res.statusCode).toBe(401);
  });
});
