import type { FlowDefinition } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';
import { startSink } from '../../test-support/sink.js';
import { RUN_ID_HEADER } from './routes.js';

const callbackTrigger = (extra: Record<string, unknown> = {}) => ({
  id: 'trigger',
  shape: 'trigger',
  config: { callback: { enabled: true, ...extra } },
});

/** trigger (callback) → map (adds a greeting) → callback → steps after it. */
function greeter(callback: Record<string, unknown> = {}, after: FlowDefinition['steps'] = [], trigger = callbackTrigger()): FlowDefinition {
  const steps: FlowDefinition['steps'] = [
    trigger,
    {
      id: 'greet',
      shape: 'map',
      config: { rules: [{ source: 'name', target: 'greeting', transforms: [{ fn: 'prefix', args: { value: 'Hello ' } }] }] },
    },
    { id: 'answer', shape: 'callback', config: callback },
    ...after,
  ];
  const edges = steps.slice(1).map((s, i) => ({ from: steps[i]!.id, to: s.id }));
  return { format: 'json', steps, edges };
}

describe('the callback trigger', () => {
  let sys: TestSystem;
  let h: { authorization: string };
  let companyId: string;
  let slow: Awaited<ReturnType<typeof startSink>>;

  beforeAll(async () => {
    slow = await startSink(() => ({ status: 200, body: '{"late":true}', delayMs: 1500 }));
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'] });
    const user = await sys.register();
    h = sys.auth(user.token);
    companyId = user.companyId;
  });
  afterAll(async () => {
    await sys.close();
    await slow.close();
  });

  /** Creates and deploys the flow; answers its public callback URL (with the secret). */
  async function deployed(definition: FlowDefinition) {
    const flow = (
      await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: `cb-${Math.random()}`, definition } })
    ).json().data;
    const res = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    return { id: flow.id as string, url: res.json().callback?.url as string };
  }

  it("starts a run and answers with the first callback step's output, its status and the payload's content type", async () => {
    const flow = await deployed(greeter({ status: 201 }));
    expect(flow.url).toMatch(new RegExp(`^/api/v1/callbacks/${companyId}/${flow.id}\\?signature=whs_`));
    const res = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"Ada"}',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ greeting: 'Hello Ada' });
    const runId = res.headers[RUN_ID_HEADER] as string;
    const run = await waitForRun(sys.app, h, runId);
    expect(run).toMatchObject({ status: 'success', trigger: 'callback' });
  });

  it('answers through the authenticated endpoint too, with the content type the step names', async () => {
    const flow = await deployed(greeter({ content_type: 'application/vnd.greeting+json' }));
    const res = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flow.id}/callback`,
      headers: { ...h, 'content-type': 'application/json' },
      payload: '{"name":"Grace"}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.greeting+json');
    expect(JSON.parse(res.body)).toEqual({ greeting: 'Hello Grace' });
  });

  it("uses the trigger's content_type when the step names none, and joins several JSON payloads into an array", async () => {
    const definition: FlowDefinition = {
      format: 'json',
      steps: [
        callbackTrigger({ content_type: 'application/json' }),
        { id: 'split', shape: 'split', config: {} },
        { id: 'answer', shape: 'callback', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'split' },
        { from: 'split', to: 'answer' },
      ],
    };
    const flow = await deployed(definition);
    const res = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/json' },
      payload: '[{"a":1},{"a":2}]',
    });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('answers once the callback step is reached, while the rest of the run goes on', async () => {
    const after = [
      {
        id: 'slow',
        shape: 'connector',
        config: { request: { method: 'POST', url: `${slow.url}/later` }, timeout_seconds: 10, retries: 0 },
      },
    ];
    const flow = await deployed(greeter({}, after));
    const started = Date.now();
    const res = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"Lin"}',
    });
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    const run = await waitForRun(sys.app, h, res.headers[RUN_ID_HEADER] as string);
    expect(run.status).toBe('success');
  });

  it('answers 504 CALLBACK_TIMEOUT naming the run when the callback step comes too late; the run goes on and succeeds', async () => {
    const definition: FlowDefinition = {
      format: 'json',
      steps: [
        callbackTrigger({ timeout_seconds: 1 }),
        {
          id: 'slow',
          shape: 'connector',
          config: { request: { method: 'POST', url: `${slow.url}/first` }, timeout_seconds: 10, retries: 0 },
        },
        { id: 'answer', shape: 'callback', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'slow' },
        { from: 'slow', to: 'answer' },
      ],
    };
    const flow = await deployed(definition);
    const res = await sys.app.inject({ method: 'POST', url: flow.url, headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe('CALLBACK_TIMEOUT');
    const runId = res.headers[RUN_ID_HEADER] as string;
    expect(runId).toBeTruthy();
    expect(res.json().message).toContain(runId);
    expect((await waitForRun(sys.app, h, runId)).status).toBe('success');
  });

  it('answers 502 CALLBACK_NOT_ANSWERED when the run ends before reaching a callback step', async () => {
    const definition: FlowDefinition = {
      format: 'json',
      steps: [
        callbackTrigger(),
        { id: 'check', shape: 'assert', config: { expected: { never: true } } },
        { id: 'answer', shape: 'callback', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'check' },
        { from: 'check', to: 'answer' },
      ],
    };
    const flow = await deployed(definition);
    const res = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/json' },
      payload: '{"a":1}',
    });
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe('CALLBACK_NOT_ANSWERED');
    expect(res.json().message).toContain('ended failure without reaching a callback step');
  });

  it('answers 404 for a wrong secret, another company or an unknown flow, the same for each', async () => {
    const flow = await deployed(greeter());
    const wrong = flow.url.replace(/signature=.*/, 'signature=whs_wrong');
    const other = (await sys.register()).companyId;
    for (const url of [
      wrong,
      flow.url.replace(companyId, other),
      flow.url.replace(flow.id, 'nope'),
      `/api/v1/callbacks/${companyId}/${flow.id}`,
    ]) {
      const res = await sys.app.inject({ method: 'POST', url, payload: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().message).toBe('Callback not found.');
    }
    const otherUser = sys.auth((await sys.register()).token);
    expect((await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flow.id}/callback`, headers: otherUser })).statusCode).toBe(404);
  });

  it('refuses with 422 a flow whose deployed trigger has no callback enabled, and a disabled flow', async () => {
    const withoutCallback = greeter({}, [], { id: 'trigger', shape: 'trigger', config: { webhook: { enabled: true } } });
    const flow = await deployed(withoutCallback);
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flow.id}/callback`, headers: h });
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toContain('has no callback enabled');

    const enabled = await deployed(greeter());
    await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${enabled.id}`, headers: h, payload: { enabled: false } });
    const off = await sys.app.inject({ method: 'POST', url: enabled.url, headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(off.statusCode).toBe(422);
    expect(off.json().error.code).toBe('FLOW_DISABLED');
  });

  it('refuses bad callback settings with field paths', async () => {
    const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'bad callback' } })).json()
      .data;
    const res = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${flow.draft_version_id}`,
      headers: h,
      payload: { definition: greeter({ status: 99, content_type: 'json' }, [], callbackTrigger({ timeout_seconds: 0, wait: true })) },
    });
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors).sort()).toEqual([
      'definition.steps[0].config.callback.timeout_seconds',
      'definition.steps[0].config.callback.wait',
      'definition.steps[2].config.content_type',
      'definition.steps[2].config.status',
    ]);
    expect(res.json().errors['definition.steps[2].config.content_type']).toEqual([
      'must be a media type like "application/json" or "text/plain; charset=utf-8"',
    ]);
  });

  it('takes a GET with query parameters as a JSON payload (the secret left out), and answers text as text', async () => {
    const definition: FlowDefinition = {
      steps: [callbackTrigger(), { id: 'answer', shape: 'callback', config: {} }],
      edges: [{ from: 'trigger', to: 'answer' }],
    };
    const flow = await deployed(definition);
    const get = await sys.app.inject({ method: 'GET', url: `${flow.url}&ping=42` });
    expect(get.statusCode, get.body).toBe(200);
    expect(get.json()).toEqual({ ping: '42' });
    const text = await sys.app.inject({ method: 'POST', url: flow.url, headers: { 'content-type': 'text/plain' }, payload: 'just words' });
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.body).toBe('just words');
  });

  it('refuses a malformed JSON body before starting a run', async () => {
    const flow = await deployed(greeter());
    const res = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_JSON');
    expect(res.headers[RUN_ID_HEADER]).toBeUndefined();
  });

  it('takes an XML body and answers it in XML, and refuses XML with a DOCTYPE', async () => {
    const definition: FlowDefinition = {
      steps: [callbackTrigger(), { id: 'answer', shape: 'callback', config: {} }],
      edges: [{ from: 'trigger', to: 'answer' }],
    };
    const flow = await deployed(definition);
    const res = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/xml' },
      payload: '<a>1</a>',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.body).toBe('<a>1</a>');
    const bad = await sys.app.inject({
      method: 'POST',
      url: flow.url,
      headers: { 'content-type': 'application/xml' },
      payload: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('XML_REFUSED');
  });
});

describe('the callback trigger with the worker in another system (distributed path: the store is polled)', () => {
  let api: TestSystem;
  let worker: TestSystem;

  beforeAll(async () => {
    api = await createTestSystem({}, { worker: false });
    // A second system on the same data: it runs the worker, the first only answers HTTP.
    worker = await createTestSystem({ dataDir: api.dataDir, leaseMs: 1000 }, { worker: true });
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
  });

  it('answers from the journal the other process wrote', async () => {
    const user = await api.register();
    const h = api.auth(user.token);
    const flow = (
      await api.app.inject({
        method: 'POST',
        url: '/api/v1/flows',
        headers: h,
        payload: { name: 'remote', definition: greeter({ status: 202 }) },
      })
    ).json().data;
    const deploy = await api.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    const res = await api.app.inject({
      method: 'POST',
      url: deploy.json().callback.url,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"Remote"}',
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ greeting: 'Hello Remote' });
  });
});

describe('the callback trigger under the per-company webhook rate', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await createTestSystem({ webhookRatePerMinute: 1 });
  });
  afterAll(() => sys.close());

  it('answers 429 with Retry-After once the company used its webhook calls for the minute', async () => {
    const user = await sys.register();
    const h = sys.auth(user.token);
    const flow = (
      await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'limited', definition: greeter() } })
    ).json().data;
    const deploy = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    const url = deploy.json().callback.url as string;
    const first = await sys.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"name":"a"}' });
    expect(first.statusCode).toBe(200);
    const second = await sys.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"name":"b"}' });
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toBeDefined();
  });
});
