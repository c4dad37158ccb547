import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem } from '../../test-support/harness.js';
import { type OAuthProvider, startOAuthProvider } from '../../test-support/oauth-provider.js';
import { waitForRun } from '../../test-support/runs.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('a flow run with an OAuth 2 authorisation code instance', () => {
  let sys: Sys;
  let provider: OAuthProvider;
  let h: Record<string, string>;
  let flowId: string;

  beforeAll(async () => {
    provider = await startOAuthProvider();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], retryBaseMs: 5 });
    h = sys.auth((await sys.register()).token);
    const connector = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Shop',
        protocol: 'http',
        base_url: `${provider.origin}/api`,
        auth_methods: [
          { type: 'oauth2_authorization_code', authorize_url: `${provider.origin}/authorize`, token_url: `${provider.origin}/token` },
        ],
        endpoints: [{ name: 'orders', method: 'GET', path: '/orders', data_type: 'json', direction: 'receive' }],
      },
    });
    const instance = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: {
        connector_id: connector.json().data.id,
        name: 'Acme',
        auth_method: 'oauth2_authorization_code',
        credentials: { client_id: provider.clientId, client_secret: provider.clientSecret },
      },
    });
    const instanceId = instance.json().data.id;
    const start = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${instanceId}/oauth/authorize`, headers: h });
    const approved = await fetch(start.headers.location as string, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location') as string);
    expect((await sys.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` })).statusCode).toBe(200);

    const flow = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: {
        name: 'Pull orders',
        definition: {
          format: 'json',
          steps: [
            { id: 'trigger', shape: 'trigger', config: {} },
            { id: 'pull', shape: 'connector', config: { instance: instanceId, endpoint: 'orders', timeout_seconds: 5 } },
          ],
          edges: [{ from: 'trigger', to: 'pull' }],
        },
      },
    });
    flowId = flow.json().data.id;
    await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.json().data.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
  });
  afterAll(async () => {
    await sys.close();
    await provider.close();
  });

  async function run() {
    const started = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/start`, headers: h, payload: { payload: '' } });
    expect(started.statusCode).toBe(200);
    const runId = started.json().flow_run_id;
    return { run: await waitForRun(sys.app, h, runId), runId };
  }

  it('calls the API with the stored token, renews it after a revocation, and never logs a token', async () => {
    const first = await run();
    expect(first.run.error).toBeNull();
    expect(first.run.status).toBe('success');

    provider.revokeAll();
    const refreshesBefore = provider.grants.filter((g) => g === 'refresh_token').length;
    const second = await run();
    expect(second.run.status).toBe('success');
    expect(provider.grants.filter((g) => g === 'refresh_token').length).toBe(refreshesBefore + 1);

    const logs = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${second.runId}/flow-run-logs`, headers: h });
    expect(logs.body).toContain('answered 401');
    expect(logs.body).toContain('(OAuth 2 token) answered 200');
    for (const token of provider.accessTokens) expect(logs.body).not.toContain(token);
    expect(logs.body).not.toContain(provider.clientSecret);
  });
});
