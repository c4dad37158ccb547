import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

const POISON = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}';

describe('prototype pollution through payloads and definitions', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let h: Record<string, string>;
  beforeAll(async () => {
    sink = await startSink();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  it('carries __proto__ and constructor keys through a run as plain data, polluting nothing', async () => {
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Poisoned', definition: customersToCrm(sink.url) },
    });
    const { id: flowId, draft_version_id: versionId } = created.json().data;
    const record = `{"id":7,"first_name":"Ada","last_name":"Lovelace","email":" ADA@X.TEST ","total":"1.50",${POISON.slice(1, -1)}}`;
    const started = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/manual/raw/${versionId}`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: `[${record}]`,
    });
    expect(started.statusCode).toBe(200);
    const run = await waitForRun(sys.app, h, started.json().flow_run_id as string);
    expect(run.status).toBe('success');
    expect(JSON.parse(sink.deliveries.at(-1)!.body)).toEqual([
      { customerId: 7, fullName: 'Ada Lovelace', email: 'ada@x.test', totalPence: 150 },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps such keys in flow variables and labels as data, or refuses them, without polluting', async () => {
    const definition = { ...customersToCrm(sink.url), variables: JSON.parse(`{"crm_url":"${sink.url}/customers",${POISON.slice(1, -1)}}`) };
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: { ...h, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Poisoned variables', definition }).replace(
        '"variables":{',
        `"variables":{"__proto__":{"polluted":"yes"},`,
      ),
    });
    expect([201, 422]).toContain(res.statusCode);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
