import { AppError, type ConnectorConfig } from '@weft/schema';
import type { ShapeContext } from '../../shape.js';
import type { ConnectorResolver, ResolvedEndpoint } from './endpoint.js';
import { isSuccessful, type OutgoingRequest, shownUrlOf } from './exchange.js';
import type { Secrets } from './secrets.js';

const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
// A token that expires while the request is on its way would be answered 401; renew a little early.
const TOKEN_EXPIRY_MARGIN_MS = 30_000;
const TOKEN_TIMEOUT_MS = 30_000;

interface CachedToken {
  token: string;
  expiresAt: number;
  /** Set when the token endpoint handed out a (new) refresh token. */
  refreshToken?: string;
}

// Per resolver (one per process in the server, one per test), so tokens never cross systems.
const tokenCaches = new WeakMap<ConnectorResolver, Map<string, CachedToken>>();

function tokenCache(resolver: ConnectorResolver): Map<string, CachedToken> {
  let cache = tokenCaches.get(resolver);
  if (cache === undefined) {
    cache = new Map();
    tokenCaches.set(resolver, cache);
  }
  return cache;
}

export interface Authoriser {
  authorise(request: OutgoingRequest, fresh: boolean): Promise<void>;
  /** OAuth 2 tokens can be renewed, so a 401 is worth one more try; static credentials cannot. */
  refreshOn401: boolean;
}

/** Sets an instance's credentials on each outgoing request, the way its auth method says. */
export function authoriser(
  ctx: ShapeContext<ConnectorConfig>,
  resolver: ConnectorResolver,
  resolved: ResolvedEndpoint,
  secrets: Secrets,
): Authoriser {
  const { auth } = resolved;
  const settings = auth.settings;
  const credential = (field: string): string => {
    const value = auth.credentials[field];
    if (value === undefined || value === '') {
      throw new AppError(
        'STEP_FAILED',
        `instance ${JSON.stringify(resolved.instanceId)} has no credential "${field}" for its ${auth.type} auth method; set it on the instance`,
        { retryable: false },
      );
    }
    return value;
  };
  const setting = (name: string): string | undefined => (typeof settings[name] === 'string' ? (settings[name] as string) : undefined);

  switch (auth.type) {
    case 'none':
      return { refreshOn401: false, authorise: async () => {} };
    case 'basic':
      return {
        refreshOn401: false,
        async authorise(request) {
          const encoded = Buffer.from(`${credential('username')}:${credential('password')}`, 'utf8').toString('base64');
          secrets.add(encoded);
          request.headers.Authorization = `Basic ${encoded}`;
        },
      };
    case 'bearer':
      return {
        refreshOn401: false,
        async authorise(request) {
          const prefix = setting('prefix') ?? 'Bearer';
          const token = credential('token');
          request.headers[setting('header') ?? 'Authorization'] = prefix === '' ? token : `${prefix} ${token}`;
        },
      };
    case 'api_key':
      return {
        refreshOn401: false,
        async authorise(request) {
          const name = setting('param_name') ?? 'api_key';
          if (setting('in') === 'query') request.url.searchParams.set(name, credential('key'));
          else request.headers[name] = credential('key');
        },
      };
    case 'custom_headers':
      return {
        refreshOn401: false,
        async authorise(request) {
          const names = Array.isArray(settings.headers) ? settings.headers.filter((h): h is string => typeof h === 'string') : [];
          for (const name of names) request.headers[name] = credential(name);
        },
      };
    case 'oauth2_client_credentials': {
      const tokenUrl = setting('token_url');
      if (tokenUrl === undefined) throw new AppError('STEP_FAILED', 'the OAuth 2 auth method has no token_url', { retryable: false });
      const cache = tokenCache(resolver);
      const key = `${ctx.run.companyId}\u0000${resolved.instanceId}\u0000${tokenUrl}\u0000${credential('client_id')}`;
      return {
        refreshOn401: true,
        async authorise(request, fresh) {
          let cached = cache.get(key);
          if (fresh || cached === undefined || cached.expiresAt <= ctx.services.now().getTime()) {
            cached = await fetchToken(
              ctx,
              tokenUrl,
              new URLSearchParams({ grant_type: 'client_credentials' }),
              setting,
              credential,
              secrets,
            );
            cache.set(key, cached);
          }
          secrets.add(cached.token);
          request.headers.Authorization = `Bearer ${cached.token}`;
        },
      };
    }
    case 'oauth2_authorization_code':
      return authorisationCode(ctx, resolver, resolved, secrets, setting, credential);
    default:
      throw new AppError('STEP_FAILED', `unknown auth method type ${JSON.stringify(auth.type)}`, { retryable: false });
  }
}

/**
 * The authorisation code grant's tokens (RFC 6749 §4.1) as the callback stored them in the
 * instance's credentials: the access token until it expires, then (or after a 401) renewed with
 * the refresh token (§6), and the renewed tokens written back, encrypted, for every process.
 */
function authorisationCode(
  ctx: ShapeContext<ConnectorConfig>,
  resolver: ConnectorResolver,
  resolved: ResolvedEndpoint,
  secrets: Secrets,
  setting: (name: string) => string | undefined,
  credential: (field: string) => string,
): Authoriser {
  const tokenUrl = setting('token_url');
  if (tokenUrl === undefined) throw new AppError('STEP_FAILED', 'the OAuth 2 auth method has no token_url', { retryable: false });
  const { companyId } = ctx.run;
  const instanceId = resolved.instanceId;
  const cache = tokenCache(resolver);
  const key = `${companyId}\u0000${instanceId}\u0000code`;
  const stored = resolved.auth.credentials;
  for (const field of ['access_token', 'refresh_token']) if (stored[field]) secrets.add(stored[field]);
  const fromCredentials = (credentials: Record<string, string>): CachedToken | undefined => {
    const token = credentials.access_token;
    if (token === undefined || token === '') return undefined;
    const expiresAt = credentials.expires_at === undefined ? Number.POSITIVE_INFINITY : Date.parse(credentials.expires_at);
    return {
      token,
      expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt - TOKEN_EXPIRY_MARGIN_MS,
      ...(credentials.refresh_token ? { refreshToken: credentials.refresh_token } : {}),
    };
  };
  return {
    refreshOn401: true,
    async authorise(request, fresh) {
      const now = ctx.services.now().getTime();
      let current = cache.get(key) ?? fromCredentials(stored);
      if (current === undefined) {
        throw new AppError(
          'STEP_FAILED',
          `instance ${JSON.stringify(instanceId)} is not authorised yet: open GET /api/v1/instances/${instanceId}/oauth/authorize and let the account owner approve`,
          { retryable: false },
        );
      }
      if (fresh || current.expiresAt <= now) {
        // Another process may have renewed the token already; a rotated refresh token works only once.
        const latest =
          resolver.freshCredentials === undefined ? undefined : fromCredentials(await resolver.freshCredentials(companyId, instanceId));
        if (latest !== undefined && latest.token !== current.token && latest.expiresAt > now) current = latest;
        else {
          const refreshToken = latest?.refreshToken ?? current.refreshToken;
          if (refreshToken === undefined) {
            throw new AppError(
              'STEP_FAILED',
              `the access token of instance ${JSON.stringify(instanceId)} expired and there is no refresh token: authorise the instance again`,
              { retryable: false },
            );
          }
          secrets.add(refreshToken);
          const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
          const stale = current.token;
          try {
            const renewed = await fetchToken(ctx, tokenUrl, form, setting, credential, secrets);
            current = { ...renewed, refreshToken: renewed.refreshToken ?? refreshToken };
            await resolver.saveCredentials?.(companyId, instanceId, {
              access_token: current.token,
              refresh_token: current.refreshToken ?? refreshToken,
              expires_at: new Date(current.expiresAt + TOKEN_EXPIRY_MARGIN_MS).toISOString(),
            });
          } catch (err) {
            // Another process may have spent the same (rotating) refresh token a moment earlier and
            // stored what it got: use that rather than fail.
            const after =
              resolver.freshCredentials === undefined ? undefined : fromCredentials(await resolver.freshCredentials(companyId, instanceId));
            if (after === undefined || after.token === stale || after.expiresAt <= ctx.services.now().getTime()) throw err;
            current = after;
          }
        }
        cache.set(key, current);
      }
      secrets.add(current.token);
      request.headers.Authorization = `Bearer ${current.token}`;
    },
  };
}

/** A token request (client credentials §4.4 or refresh §6), through services.http like every other request. */
async function fetchToken(
  ctx: ShapeContext<ConnectorConfig>,
  tokenUrl: string,
  form: URLSearchParams,
  setting: (name: string) => string | undefined,
  credential: (field: string) => string,
  secrets: Secrets,
): Promise<CachedToken> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const scope = setting('scope');
  const audience = setting('audience');
  if (scope !== undefined && form.get('grant_type') === 'client_credentials') form.set('scope', scope);
  if (audience !== undefined) form.set('audience', audience);
  if (setting('client_auth') === 'basic') {
    const encoded = Buffer.from(
      `${encodeURIComponent(credential('client_id'))}:${encodeURIComponent(credential('client_secret'))}`,
    ).toString('base64');
    secrets.add(encoded);
    headers.Authorization = `Basic ${encoded}`;
  } else {
    form.set('client_id', credential('client_id'));
    form.set('client_secret', credential('client_secret'));
  }
  const shownUrl = shownUrlOf(tokenUrl, secrets);
  const started = performance.now();
  let response: Awaited<ReturnType<typeof ctx.services.http.request>>;
  try {
    response = await ctx.services.http.request({
      method: 'POST',
      url: tokenUrl,
      headers,
      body: form.toString(),
      timeoutMs: TOKEN_TIMEOUT_MS,
      signal: ctx.signal,
    });
  } catch (err) {
    ctx.log({
      level: 'warning',
      message: `POST ${shownUrl} (OAuth 2 token) failed`,
      data: { method: 'POST', url: shownUrl, status: null },
    });
    throw secrets.maskError(err);
  }
  const durationMs = Math.round(performance.now() - started);
  ctx.log({
    level: isSuccessful(response.status, undefined) ? 'info' : 'warning',
    message: `POST ${shownUrl} (OAuth 2 token) answered ${response.status} in ${durationMs} ms`,
    data: { method: 'POST', url: shownUrl, status: response.status, duration_ms: durationMs },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const token = body.access_token;
  if (!isSuccessful(response.status, undefined) || typeof token !== 'string' || token === '') {
    // The error body is not quoted: token endpoints are known to echo the client secret back.
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    const reason = typeof body.error === 'string' ? ` (${secrets.mask(body.error.slice(0, 100))})` : '';
    throw new AppError(
      'CONNECTOR_HTTP_ERROR',
      `the OAuth 2 token request to ${shownUrl} answered ${response.status} without an access token${reason}`,
      {
        retryable,
      },
    );
  }
  secrets.add(token);
  const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined;
  if (refreshToken !== undefined) secrets.add(refreshToken);
  const lifetimeSeconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_SECONDS;
  const margin = Math.min(TOKEN_EXPIRY_MARGIN_MS, (lifetimeSeconds * 1000) / 2);
  return {
    token,
    expiresAt: ctx.services.now().getTime() + lifetimeSeconds * 1000 - margin,
    ...(refreshToken === undefined ? {} : { refreshToken }),
  };
}
