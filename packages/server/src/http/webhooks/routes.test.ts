import { createHmac } from 'node:crypto';
import type { FlowDefinition } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm } from '../../test-support/flows.js';
import { createTestSystem, type TestSystem, type TestUser } from '../../test-support/harness.js';

function withWebhook(webhook: Record<string, unknown>): FlowDefinition {
  const def = customersToCrm('http://127.0.0.1:9');
  def.steps[0] = { id: 'trigger', shape: 'trigger', config: { webhook } };
  return def;
}

describe('the webhook trigger', () => {
  let sys: TestSystem;
  let owner: TestUser;
  let h: { authorization: string };

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    owner = await sys.register();
    h = sys.auth(owner.token);
  });
  afterAll(() => sys.close());

  /** A flow deployed (and enabled unless told) with the webhook settings; returns its URL from the deploy answer. */
  async function hook(webhook: Record<string, unknown>, enable = true) {
    const flow = (
      await sys.app.inject({
        method: 'POST',
        url: '/api/v1/flows',
        headers: h,
        payload: { name: 'Hook', definition: withWebhook(webhook) },
      })
    ).json().data;
    const deploy = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
      headers: h,
      payload: { enable },
    });
    expect(deploy.statusCode).toBe(200);
    return { flowId: flow.id as string, url: deploy.json().webhook?.url as string, secret: deploy.json().webhook?.secret as string };
  }

  async function run(runId: string) {
    return (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}`, headers: h })).json().data;
  }

  async function body(runId: string) {
    const r = await run(runId);
    return (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${r.input_payload_id}/download`, headers: h })).body;
  }

  it('starts a run with trigger webhook from a POST body and answers the default response', async () => {
    const { url } = await hook({ enabled: true });
    expect(url).toMatch(/^\/api\/v1\/webhooks\/[^/]+\/[^/]+\?signature=whs_/);
    const res = await sys.app.inject({ method: 'POST', url, payload: { order: 7 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Flow initialised.', flow_run_id: expect.any(String) });
    expect(await run(res.json().flow_run_id)).toMatchObject({ trigger: 'webhook', status: 'queued' });
    expect(JSON.parse(await body(res.json().flow_run_id))).toEqual({ order: 7 });
  });

  it('turns the query parameters of a GET into the JSON payload, without the secret', async () => {
    const { url } = await hook({ enabled: true });
    const res = await sys.app.inject({ method: 'GET', url: `${url}&order=7&status=paid` });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(await body(res.json().flow_run_id))).toEqual({ order: '7', status: 'paid' });
  });

  it('answers the configured response', async () => {
    const { url } = await hook({ enabled: true, response: { status: 202, body: '<ok run="{{flow_run_id}}"/>', format: 'xml' } });
    const res = await sys.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/csv' }, payload: 'a,b\n1,2\n' });
    expect(res.statusCode).toBe(202);
    expect(res.headers['content-type']).toContain('application/xml');
    expect(res.body).toMatch(/^<ok run="[^"]+"\/>$/);
  });

  it('answers the same 404 for a wrong secret, an unknown flow and another company', async () => {
    const { url, flowId } = await hook({ enabled: true });
    const wrong = await sys.app.inject({ method: 'POST', url: url.replace(/signature=.*/, 'signature=whs_wrong'), payload: {} });
    const none = await sys.app.inject({ method: 'POST', url: url.replace(/\?.*/, ''), payload: {} });
    const unknownFlow = await sys.app.inject({ method: 'POST', url: url.replace(flowId, 'no-such-flow'), payload: {} });
    const other = await sys.register();
    const otherCompany = await sys.app.inject({ method: 'POST', url: url.replace(owner.companyId, other.companyId), payload: {} });
    for (const res of [wrong, none, unknownFlow, otherCompany]) {
      expect(res.statusCode).toBe(404);
      expect(res.body).toBe(wrong.body);
    }
  });

  it('checks the HMAC-SHA256 signature of the raw body when the trigger has an hmac secret', async () => {
    const { url } = await hook({ enabled: true, hmac_secret: 'shh' });
    const raw = '{"order": 7}';
    const sign = (key: string) => `sha256=${createHmac('sha256', key).update(raw).digest('hex')}`;
    const post = (sig?: string) =>
      sys.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...(sig && { 'x-weft-signature': sig }) },
        payload: raw,
      });
    expect((await post(sign('shh'))).statusCode).toBe(200);
    expect((await post(sign('other'))).statusCode).toBe(401);
    expect((await post()).statusCode).toBe(401);
  });

  it('answers 422 when the flow is disabled or its deployed trigger has no webhook enabled', async () => {
    const disabled = await hook({ enabled: true }, false);
    expect((await sys.app.inject({ method: 'POST', url: disabled.url, payload: {} })).statusCode).toBe(422);
    // No secret is made for a flow without the webhook; rotating makes one, and the webhook is still off.
    const off = await hook({ enabled: false });
    expect(off.url).toBeUndefined();
    await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${off.flowId}`, headers: h, payload: { enabled: true } });
    const rotated = (await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${off.flowId}/webhook`, headers: h })).json().data;
    const res = await sys.app.inject({ method: 'POST', url: rotated.url, payload: {} });
    expect(res.statusCode).toBe(422);
  });

  it('rotates the secret: the new one works, the old one no longer does', async () => {
    const { url, flowId } = await hook({ enabled: true });
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/webhook`, headers: h });
    expect(res.statusCode).toBe(200);
    const { url: newUrl, secret } = res.json().data;
    expect(newUrl).toContain(secret);
    expect((await sys.app.inject({ method: 'POST', url, payload: {} })).statusCode).toBe(404);
    expect((await sys.app.inject({ method: 'POST', url: newUrl, payload: {} })).statusCode).toBe(200);
    const other = sys.auth((await sys.register()).token);
    expect((await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/webhook`, headers: other })).statusCode).toBe(404);
  });
});
