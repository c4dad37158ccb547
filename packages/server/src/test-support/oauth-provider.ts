import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { CANARY } from './canary.js';

/**
 * A small OAuth 2 provider on 127.0.0.1 for tests: /authorize approves at once (as if the account
 * owner clicked "allow") and redirects with a code; /token serves the authorisation code grant
 * (checking client, redirect URI and PKCE) and the refresh token grant (rotating the refresh
 * token); /api/orders answers only a current access token.
 */
export interface OAuthProvider {
  origin: string;
  clientId: string;
  clientSecret: string;
  /** Each token request's grant type, in order. */
  grants: string[];
  /** Access tokens handed out, in order. */
  accessTokens: string[];
  /** Makes every access token handed out so far invalid (as a provider revoking them early would). */
  revokeAll(): void;
  /** Lifetime of tokens handed out from now on. */
  expiresIn: number;
  /** How long the token endpoint takes to answer a refresh (a refused one five times as long). */
  refreshDelayMs: number;
  close(): Promise<void>;
}

interface PendingCode {
  redirectUri: string;
  challenge: string;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startOAuthProvider(): Promise<OAuthProvider> {
  const codes = new Map<string, PendingCode>();
  const valid = new Set<string>();
  const refreshTokens = new Set<string>();
  const provider: OAuthProvider = {
    origin: '',
    clientId: 'weft-client',
    // The secret and the tokens carry the leak canary: the harness looks for it everywhere at close.
    clientSecret: `client-secret-${CANARY}`,
    grants: [],
    accessTokens: [],
    revokeAll: () => valid.clear(),
    expiresIn: 3600,
    refreshDelayMs: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const issue = () => {
    const access = `AT-${CANARY}-${randomBytes(8).toString('hex')}`;
    const refresh = `RT-${CANARY}-${randomBytes(8).toString('hex')}`;
    valid.add(access);
    refreshTokens.add(refresh);
    provider.accessTokens.push(access);
    return { access_token: access, refresh_token: refresh, token_type: 'Bearer', expires_in: provider.expiresIn };
  };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const json = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      if (url.searchParams.get('client_id') !== provider.clientId || url.searchParams.get('code_challenge_method') !== 'S256') {
        return json(400, { error: 'invalid_request' });
      }
      const code = `C-${randomBytes(8).toString('hex')}`;
      codes.set(code, { redirectUri, challenge: url.searchParams.get('code_challenge') ?? '' });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.statusCode = 302;
      res.setHeader('location', back.toString());
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const form = new URLSearchParams(await bodyOf(req));
      const grant = form.get('grant_type') ?? '';
      provider.grants.push(grant);
      if (form.get('client_id') !== provider.clientId || form.get('client_secret') !== provider.clientSecret) {
        return json(401, { error: 'invalid_client' });
      }
      if (grant === 'authorization_code') {
        const pending = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const challenge = createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url');
        if (pending === undefined || pending.redirectUri !== form.get('redirect_uri') || pending.challenge !== challenge) {
          return json(400, { error: 'invalid_grant' });
        }
        return json(200, issue());
      }
      if (grant === 'refresh_token') {
        const refresh = form.get('refresh_token') ?? '';
        // Rotating refresh tokens: each works once.
        const fresh = refreshTokens.delete(refresh);
        if (provider.refreshDelayMs > 0) await new Promise((r) => setTimeout(r, provider.refreshDelayMs * (fresh ? 1 : 5)));
        if (!fresh) return json(400, { error: 'invalid_grant' });
        return json(200, issue());
      }
      return json(400, { error: 'unsupported_grant_type' });
    }
    if (url.pathname === '/api/orders') {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!valid.has(token)) return json(401, { error: 'invalid_token' });
      return json(200, [{ id: 'A-1' }]);
    }
    return json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return provider;
}
