import { createHttpClient, testConnection } from '@weft/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCredentialCipher } from '../../crypto/credentials.js';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem } from '../../test-support/harness.js';
import { type OAuthProvider, startOAuthProvider } from '../../test-support/oauth-provider.js';
import { createConnectorResolver } from '../../worker/connector-resolver.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('OAuth 2 authorisation code for instances', () => {
  let sys: Sys;
  let provider: OAuthProvider;
  let h: Record<string, string>;
  let other: Record<string, string>;
  let connectorId: string;
  let companyId: string;

  beforeAll(async () => {
    provider = await startOAuthProvider();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], publicUrl: 'https://weft.example.com' }, { worker: false });
    const owner = await sys.register();
    companyId = owner.companyId;
    h = sys.auth(owner.token);
    other = sys.auth((await sys.register()).token);
    const connector = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: h,
      payload: {
        name: 'Shop',
        protocol: 'http',
        base_url: `${provider.origin}/api`,
        auth_methods: [
          {
            type: 'oauth2_authorization_code',
            name: 'shop',
            authorize_url: `${provider.origin}/authorize`,
            token_url: `${provider.origin}/token`,
            scope: 'orders:read',
          },
          { type: 'bearer' },
        ],
        endpoints: [{ name: 'orders', method: 'GET', path: '/orders', data_type: 'json', direction: 'receive' }],
      },
    });
    expect(connector.statusCode).toBe(201);
    connectorId = connector.json().data.id;
  });
  afterAll(async () => {
    await sys.close();
    await provider.close();
  });

  async function newInstance(credentials: Record<string, string> = { client_id: provider.clientId, client_secret: provider.clientSecret }) {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: { connector_id: connectorId, name: 'Acme', auth_method: 'shop', credentials },
    });
    expect(res.statusCode).toBe(201);
    return res.json().data.id as string;
  }

  /** What the account owner's browser does: authorize → provider (approves) → the callback URL. */
  async function authorise(instanceId: string): Promise<{ callback: URL; authorizeUrl: URL }> {
    const start = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${instanceId}/oauth/authorize`, headers: h });
    expect(start.statusCode).toBe(302);
    const authorizeUrl = new URL(start.headers.location as string);
    const approved = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    return { callback: new URL(approved.headers.get('location') as string), authorizeUrl };
  }

  const callback = (url: URL) => sys.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
  const test = (instanceId: string, headers = h) =>
    sys.app.inject({ method: 'POST', url: `/api/v1/instances/${instanceId}/test`, headers, payload: {} });

  it('redirects to the provider with PKCE and a signed state, stores the tokens encrypted, and calls the API with them', async () => {
    const instanceId = await newInstance();
    const { authorizeUrl, callback: back } = await authorise(instanceId);
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${provider.origin}/authorize`);
    expect(Object.fromEntries(authorizeUrl.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: 'https://weft.example.com/api/v1/oauth/callback',
      scope: 'orders:read',
      code_challenge_method: 'S256',
    });
    expect(authorizeUrl.searchParams.get('state')).toMatch(/^[\w-]{43}\.[\w-]{43}$/);
    expect(back.pathname).toBe('/api/v1/oauth/callback');

    const done = await callback(back);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Acme is connected');
    expect(provider.grants).toContain('authorization_code');

    const instance = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${instanceId}`, headers: h });
    expect(instance.json().data.credential_fields).toEqual(['access_token', 'client_id', 'client_secret', 'expires_at', 'refresh_token']);
    expect(instance.body).not.toContain(provider.accessTokens.at(-1));
    const ciphertext = await sys.store.getInstanceSecret(companyId, instanceId);
    expect(ciphertext).toMatch(/^v1:/);
    expect(ciphertext).not.toContain(provider.accessTokens.at(-1));
    expect(ciphertext).not.toContain(provider.clientSecret);

    const tested = await test(instanceId);
    expect(tested.statusCode).toBe(200);
    expect(tested.json().data).toMatchObject({ ok: true, status: 200, endpoint: 'orders' });

    const audit = await sys.app.inject({ method: 'GET', url: '/api/v1/audit-logs?per_page=100', headers: h });
    const actions = audit
      .json()
      .data.filter((e: { target_id: string }) => e.target_id === instanceId)
      .map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['instance.oauth_started', 'instance.credentials_changed']));
  });

  it('refreshes with the refresh token once the access token is revoked (401), saves the new tokens, and uses them next time', async () => {
    const instanceId = await newInstance();
    await callback((await authorise(instanceId)).callback);
    provider.revokeAll();
    const before = provider.grants.filter((g) => g === 'refresh_token').length;
    const tested = await test(instanceId);
    expect(tested.json().data).toMatchObject({ ok: true, status: 200 });
    expect(provider.grants.filter((g) => g === 'refresh_token').length).toBe(before + 1);
    // The renewed (rotated) tokens were stored: a second test needs no refresh, a third after revocation refreshes with the new refresh token.
    expect((await test(instanceId)).json().data.ok).toBe(true);
    expect(provider.grants.filter((g) => g === 'refresh_token').length).toBe(before + 1);
    provider.revokeAll();
    expect((await test(instanceId)).json().data.ok).toBe(true);
    expect(provider.grants.filter((g) => g === 'refresh_token').length).toBe(before + 2);
  });

  it('lets two processes renewing at once both succeed, though the provider honours the rotating refresh token once', async () => {
    const instanceId = await newInstance();
    await callback((await authorise(instanceId)).callback);
    provider.revokeAll();
    provider.refreshDelayMs = 200;
    try {
      // Two resolvers with caches of their own stand for two worker processes.
      const cipher = await loadCredentialCipher(sys.store, sys.config);
      const http = createHttpClient({ allow: ['127.0.0.1'] });
      const services = () => ({
        http,
        now: () => new Date(),
        sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
        connectors: createConnectorResolver({ store: sys.store, cipher }),
      });
      const before = provider.grants.length;
      const results = await Promise.all([0, 1].map(() => testConnection(services(), { companyId, instanceId, endpoint: 'orders' })));
      await http.close();
      expect(provider.grants.slice(before)).toEqual(['refresh_token', 'refresh_token']);
      expect(results.map((r) => r.ok)).toEqual([true, true]);
    } finally {
      provider.refreshDelayMs = 0;
    }
  });

  it('refreshes before the request when the stored access token has expired', async () => {
    const instanceId = await newInstance();
    provider.expiresIn = 1; // expires within the renewal margin: stale at once
    try {
      await callback((await authorise(instanceId)).callback);
    } finally {
      provider.expiresIn = 3600;
    }
    const before = provider.grants.length;
    const tested = await test(instanceId);
    expect(tested.json().data).toMatchObject({ ok: true, status: 200 });
    expect(provider.grants.slice(before)).toEqual(['refresh_token']);
    const log = JSON.stringify(tested.json().data.log);
    expect(log).toContain('OAuth 2 token');
    for (const token of provider.accessTokens) expect(log).not.toContain(token);
  });

  it('refuses a replayed, forged or unknown state', async () => {
    const instanceId = await newInstance();
    const { callback: back } = await authorise(instanceId);
    expect((await callback(back)).statusCode).toBe(200);
    const replay = await callback(back);
    expect(replay.statusCode).toBe(422);
    expect(replay.json().errors.state[0]).toMatch(/unknown, already used, expired or forged/);

    const fresh = (await authorise(instanceId)).callback;
    const [id] = (fresh.searchParams.get('state') ?? '').split('.');
    const forged = new URL(fresh);
    forged.searchParams.set('state', `${id}.${'A'.repeat(43)}`);
    expect((await callback(forged)).statusCode).toBe(422);
    // The forged attempt did not use up the real state.
    expect((await callback(fresh)).statusCode).toBe(200);
    expect((await sys.app.inject({ method: 'GET', url: '/api/v1/oauth/callback?code=x' })).statusCode).toBe(422);
  });

  it('reports the provider refusing (error=access_denied) without storing anything', async () => {
    const instanceId = await newInstance();
    const { callback: back } = await authorise(instanceId);
    back.searchParams.delete('code');
    back.searchParams.set('error', 'access_denied');
    const res = await callback(back);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.error[0]).toMatch(/the provider answered access_denied/);
    const instance = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${instanceId}`, headers: h });
    expect(instance.json().data.credential_fields).toEqual(['client_id', 'client_secret']);
  });

  it('fails the token exchange clearly when the client secret is wrong, never quoting it', async () => {
    const instanceId = await newInstance({ client_id: provider.clientId, client_secret: `WRONG-SECRET-${CANARY}` });
    const res = await callback((await authorise(instanceId)).callback);
    expect(res.statusCode).toBe(502);
    expect(res.json().message).toMatch(/token endpoint answered 401 without an access token \(invalid_client\)/);
    expect(res.body).not.toContain(`WRONG-SECRET-${CANARY}`);
  });

  it('answers the redirect URL as JSON when asked, and refuses instances that are not authorisation-code ones', async () => {
    const instanceId = await newInstance();
    const res = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${instanceId}/oauth/authorize?redirect=false`, headers: h });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.authorize_url).toMatch(new RegExp(`^${provider.origin}/authorize\\?`));
    const bearer = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers: h,
      payload: { connector_id: connectorId, name: 'Static', auth_method: 'bearer', credentials: { token: `static-${CANARY}` } },
    });
    const refused = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${bearer.json().data.id}/oauth/authorize`, headers: h });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors.auth_method[0]).toMatch(/oauth2_authorization_code/);
    const noSecret = await newInstance({ client_id: provider.clientId, client_secret: '' });
    const unready = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${noSecret}/oauth/authorize`, headers: h });
    expect(unready.statusCode).toBe(422);
  });

  it('answers 404 for another company’s instance, for authorize and test alike', async () => {
    const instanceId = await newInstance();
    const authorize = await sys.app.inject({ method: 'GET', url: `/api/v1/instances/${instanceId}/oauth/authorize`, headers: other });
    expect(authorize.statusCode).toBe(404);
    expect((await test(instanceId, other)).statusCode).toBe(404);
  });

  it('refuses API-given token fields but keeps stored ones through a rename', async () => {
    const instanceId = await newInstance();
    await callback((await authorise(instanceId)).callback);
    const renamed = await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/instances/${instanceId}`,
      headers: h,
      payload: { name: 'Renamed' },
    });
    expect(renamed.statusCode).toBe(200);
    const given = await sys.app.inject({
      method: 'PATCH',
      url: `/api/v1/instances/${instanceId}`,
      headers: h,
      payload: { credentials: { client_id: 'a', client_secret: `b-${CANARY}`, access_token: `forged-${CANARY}` } },
    });
    expect(given.statusCode).toBe(422);
    expect(given.json().errors['credentials.access_token']).toEqual(['is not a credential field of shop']);
  });
});
