import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { createHttpClient } from '@weft/engine';
import { AppError } from '@weft/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { loadCredentialCipher } from '../../crypto/credentials.js';
import type { Store } from '../../store/types.js';
import { recordAudit } from '../audit-logs/record.js';
import { authMethodKey } from '../connectors/schema.js';
import { notFound } from '../errors.js';

/**
 * OAuth 2 authorisation code grant (RFC 6749 §4.1, with PKCE, RFC 7636) for instances whose auth
 * method is `oauth2_authorization_code`: authorize redirects the account owner to the provider
 * with a signed, single-use, expiring state; the callback exchanges the code for tokens and
 * stores them encrypted in the instance's credentials. The connector shape renews them later.
 */

export const OAUTH_CALLBACK_PATH = '/api/v1/oauth/callback';
const STATE_KEY_SETTING = 'oauth_state_key';
const STATE_TTL_MS = 10 * 60_000;
const TOKEN_TIMEOUT_MS = 30_000;

const InstanceId = Type.Object({ instanceId: Type.String({ minLength: 1, maxLength: 64 }) });

function invalidState(): AppError {
  return new AppError('VALIDATION_FAILED', 'The OAuth 2 callback cannot be accepted.', {
    details: { state: ['is unknown, already used, expired or forged; start the authorisation again'] },
  });
}

export async function oauthRoutes(app: FastifyInstance, config: Config, { store }: AppDeps): Promise<void> {
  const cipher = await loadCredentialCipher(store, config);
  const stateKey = Buffer.from(await store.initSetting(STATE_KEY_SETTING, randomBytes(32).toString('base64')), 'base64');
  const sign = (id: string) => createHmac('sha256', stateKey).update(id).digest('base64url');
  // The token request leaves the server like every connector request: through the egress guard.
  const http = createHttpClient({ allow: config.egressAllow });
  app.addHook('onClose', () => http.close());

  const redirectUri = (request: FastifyRequest) => `${config.publicUrl ?? `${request.protocol}://${request.host}`}${OAUTH_CALLBACK_PATH}`;

  app.get(
    '/api/v1/instances/:instanceId/oauth/authorize',
    {
      config: { access: 'write' },
      schema: {
        tags: ['instances'],
        summary:
          'Send the account owner to the provider to authorise the instance (OAuth 2 authorisation code); redirect=false answers with the URL',
        params: InstanceId,
        querystring: Type.Object({ redirect: Type.Optional(Type.Boolean()) }),
      },
    },
    async (request, reply) => {
      const companyId = request.auth.companyId;
      const { instanceId } = request.params as { instanceId: string };
      const { redirect } = request.query as { redirect?: boolean };
      const { method, credentials } = await authCodeInstance(store, cipher, companyId, instanceId);
      const id = randomBytes(32).toString('base64url');
      const codeVerifier = randomBytes(32).toString('base64url');
      const uri = redirectUri(request);
      await store.createOAuthState({ id, companyId, instanceId, codeVerifier, redirectUri: uri, expiresAt: Date.now() + STATE_TTL_MS });
      const url = new URL(String(method.authorize_url));
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', credentials.client_id ?? '');
      url.searchParams.set('redirect_uri', uri);
      if (typeof method.scope === 'string') url.searchParams.set('scope', method.scope);
      url.searchParams.set('state', `${id}.${sign(id)}`);
      url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
      url.searchParams.set('code_challenge_method', 'S256');
      await recordAudit(store, request, { action: 'instance.oauth_started', targetType: 'instance', targetId: instanceId });
      if (redirect === false) return { data: { authorize_url: url.toString(), redirect_uri: uri, expires_in: STATE_TTL_MS / 1000 } };
      return reply.redirect(url.toString(), 302);
    },
  );

  app.get(
    OAUTH_CALLBACK_PATH,
    {
      // The provider sends the browser here; the signed single-use state stands in for a login.
      config: { access: false },
      schema: {
        tags: ['instances'],
        summary: 'Where the OAuth 2 provider returns the account owner; stores the tokens in the instance',
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 4000 })),
            state: Type.Optional(Type.String({ maxLength: 500 })),
            error: Type.Optional(Type.String({ maxLength: 200 })),
            error_description: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: true },
        ),
      },
    },
    async (request, reply) => {
      const query = request.query as { code?: string; state?: string; error?: string; error_description?: string };
      const [id, signature] = (query.state ?? '').split('.');
      if (id === undefined || signature === undefined || !sameText(signature, sign(id))) throw invalidState();
      // Consumed before anything else: a replayed callback finds nothing, whatever happens next.
      const state = await store.consumeOAuthState(id, Date.now());
      if (state === undefined) throw invalidState();
      if (query.error !== undefined) {
        const text = `${query.error}${query.error_description ? `: ${query.error_description}` : ''}`;
        throw new AppError('VALIDATION_FAILED', 'The provider did not authorise the instance.', {
          details: { error: [`the provider answered ${text}; start the authorisation again`] },
        });
      }
      if (query.code === undefined || query.code === '') {
        throw new AppError('VALIDATION_FAILED', 'The OAuth 2 callback cannot be accepted.', { details: { code: ['is missing'] } });
      }
      const { companyId, instanceId } = state;
      const { method, credentials } = await authCodeInstance(store, cipher, companyId, instanceId);
      const tokens = await exchangeCode(http, method, credentials, query.code, state.redirectUri, state.codeVerifier);
      // Tokens of an earlier authorisation go: a stale expiry or refresh token must not outlive them.
      const { access_token: _access, refresh_token: _refresh, expires_at: _expires, ...client } = credentials;
      const next = { ...client, ...tokens };
      const instance = await store.updateInstance(companyId, instanceId, {
        credentials: { ciphertext: cipher.encrypt(next, companyId), fields: Object.keys(next).sort() },
      });
      if (instance === undefined) throw notFound('Instance');
      await store.appendAudit({
        companyId,
        actorType: 'anonymous',
        actorId: null,
        action: 'instance.credentials_changed',
        targetType: 'instance',
        targetId: instanceId,
        outcome: 'success',
        address: request.ip,
        data: { fields: instance.credentialFields, via: 'oauth2_authorization_code' },
      });
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><meta charset="utf-8"><title>Connected</title><p>The instance ${escapeHtml(instance.name)} is connected. You can close this window.</p><p><a href="/instances">Back to the instances</a></p>`,
        );
    },
  );
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The instance, its authorisation code auth method and its decrypted credentials; 404 for another company's or an unknown instance. */
async function authCodeInstance(
  store: Store,
  cipher: Awaited<ReturnType<typeof loadCredentialCipher>>,
  companyId: string,
  instanceId: string,
): Promise<{ method: Record<string, unknown>; credentials: Record<string, string> }> {
  const instance = await store.getInstance(companyId, instanceId);
  if (!instance) throw notFound('Instance');
  const connector = await store.getConnector(companyId, instance.connectorId);
  if (!connector) throw notFound('Instance');
  const method = connector.authMethods.find((m) => authMethodKey(m) === instance.authMethod);
  if (method === undefined || method.type !== 'oauth2_authorization_code') {
    throw new AppError('VALIDATION_FAILED', 'The instance cannot be authorised this way.', {
      details: { auth_method: ['must be an auth method of type oauth2_authorization_code'] },
    });
  }
  const ciphertext = await store.getInstanceSecret(companyId, instanceId);
  const credentials = typeof ciphertext === 'string' ? cipher.decrypt(ciphertext, companyId) : {};
  if (!credentials.client_id || !credentials.client_secret) {
    throw new AppError('VALIDATION_FAILED', 'The instance cannot be authorised yet.', {
      details: { credentials: ['need client_id and client_secret before the authorisation'] },
    });
  }
  return { method, credentials };
}

/** The code for tokens (RFC 6749 §4.1.3); the provider's error body is never quoted (it may echo the secret). */
async function exchangeCode(
  http: ReturnType<typeof createHttpClient>,
  method: Record<string, unknown>,
  credentials: Record<string, string>,
  code: string,
  redirectUri: string,
  codeVerifier: string,
): Promise<Record<string, string>> {
  const tokenUrl = String(method.token_url);
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier });
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const clientId = credentials.client_id ?? '';
  const clientSecret = credentials.client_secret ?? '';
  if (method.client_auth === 'basic') {
    headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  }
  const response = await http.request({ method: 'POST', url: tokenUrl, headers, body: form.toString(), timeoutMs: TOKEN_TIMEOUT_MS });
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(response.body.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: handled as a missing token below
  }
  const accessToken = body.access_token;
  if (response.status < 200 || response.status >= 300 || typeof accessToken !== 'string' || accessToken === '') {
    const reason = typeof body.error === 'string' ? ` (${body.error.slice(0, 100).split(clientSecret).join('***')})` : '';
    throw new AppError('CONNECTOR_HTTP_ERROR', `the token endpoint answered ${response.status} without an access token${reason}`, {
      retryable: false,
    });
  }
  const tokens: Record<string, string> = { access_token: accessToken };
  if (typeof body.refresh_token === 'string' && body.refresh_token !== '') tokens.refresh_token = body.refresh_token;
  if (typeof body.expires_in === 'number' && body.expires_in > 0)
    tokens.expires_at = new Date(Date.now() + body.expires_in * 1000).toISOString();
  return tokens;
}
