import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../../test-support/flows.js';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { startSink } from '../../test-support/sink.js';
import { PAYLOAD_BYTES_FROM } from './payload-bytes.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

/** The fixture's ten customers many times over, with names outside Latin-1 and text that needs escapes. */
function largePayload(copies: number): { text: string; mapped: unknown[] } {
  const records = JSON.parse(JSON.parse(fixture('customers-10.payload.json')).payload) as Array<Record<string, unknown>>;
  const mapped = JSON.parse(fixture('customers-10.mapped.json')) as Array<Record<string, unknown>>;
  const all: unknown[] = [];
  const expected: unknown[] = [];
  for (let c = 0; c < copies; c++) {
    records.forEach((r, i) => {
      const last = `${r.last_name as string} Nguyễn "Ø" \\ 😀\n`;
      all.push({ ...r, last_name: last });
      expected.push({ ...mapped[i], fullName: `${r.first_name as string} ${last}` });
    });
  }
  return { text: JSON.stringify(all), mapped: expected };
}

describe('a large payload on the standard start endpoint', () => {
  let sys: Sys;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  let flowId: string;
  const { text, mapped } = largePayload(120);

  beforeAll(async () => {
    sink = await startSink();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], bodyLimitBytes: 4 * 1024 * 1024 });
    h = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Customers to CRM', definition: customersToCrm(sink.url) },
    });
    flowId = created.json().data.id;
    await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${created.json().data.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  const post = (url: string, body: string) =>
    sys.app.inject({ method: 'POST', url, headers: { ...h, 'content-type': 'application/json' }, payload: body });
  const storedInput = async (runId: string) => {
    const run = await waitForRun(sys.app, h, runId);
    const download = await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${run.input_payload_id}/download`, headers: h });
    return { run, bytes: download.rawPayload };
  };

  it('is large enough to be read as bytes', () => {
    expect(Buffer.byteLength(JSON.stringify({ payload: text }))).toBeGreaterThan(PAYLOAD_BYTES_FROM);
  });

  it('stores exactly the bytes of the payload string and delivers every record mapped', async () => {
    const before = sink.deliveries.length;
    const res = await post(`/api/v1/flows/${flowId}/start`, JSON.stringify({ payload: text }));
    expect(res.statusCode).toBe(200);
    const { run, bytes } = await storedInput(res.json().flow_run_id);
    expect(run.status).toBe('success');
    expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(JSON.parse(sink.deliveries[before]!.body)).toEqual(mapped);
  });

  it('stores the same bytes when the client escapes every non-ASCII character (\\u, surrogate pairs)', async () => {
    const escaped = JSON.stringify({ payload: text }).replace(
      /[\u007f-\uffff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    expect([...escaped].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
    const res = await post(`/api/v1/flows/${flowId}/start`, escaped);
    expect(res.statusCode).toBe(200);
    expect((await storedInput(res.json().flow_run_id)).bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('stores the same bytes through JSON.parse when the body has more than the payload (manual with variables)', async () => {
    const res = await post(`/api/v1/flows/${flowId}/manual`, JSON.stringify({ payload: text, variables: { note: 'x' } }));
    expect(res.statusCode).toBe(200);
    expect((await storedInput(res.json().flow_run_id)).bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('answers a repeated Idempotency-Key with the first run', async () => {
    const body = JSON.stringify({ payload: text });
    const headers = { ...h, 'content-type': 'application/json', 'idempotency-key': 'large-once' };
    const first = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/start`, headers, payload: body });
    const second = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/start`, headers, payload: body });
    expect(second.statusCode).toBe(200);
    expect(second.json().flow_run_id).toBe(first.json().flow_run_id);
  });

  it('refuses a large body with another key, a payload that is not a string, or broken JSON as a small one is refused', async () => {
    const unknown = await post(`/api/v1/flows/${flowId}/start`, JSON.stringify({ payload: text, extra: 1 }));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toHaveProperty('extra');
    const notString = await post(`/api/v1/flows/${flowId}/start`, JSON.stringify({ payload: JSON.parse(text) }));
    expect(notString.statusCode).toBe(422);
    expect(notString.json().errors).toHaveProperty('payload');
    const broken = await post(`/api/v1/flows/${flowId}/start`, JSON.stringify({ payload: text }).slice(0, -2));
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('BAD_JSON');
    const rawTab = await post(`/api/v1/flows/${flowId}/start`, `{"payload":"${'a'.repeat(PAYLOAD_BYTES_FROM)}\t"}`);
    expect(rawTab.statusCode).toBe(400);
    expect(rawTab.json().error.code).toBe('BAD_JSON');
  });

  it('takes a large JSON document on the raw endpoint as before', async () => {
    const res = await post(`/api/v1/flows/${flowId}/start/raw`, text);
    expect(res.statusCode).toBe(200);
    const { run, bytes } = await storedInput(res.json().flow_run_id);
    expect(run.status).toBe('success');
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(JSON.parse(text));
  });
});
