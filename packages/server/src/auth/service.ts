import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError, ROLES, type Role } from '@weft/schema';
import { hash as argon2Hash, argon2id, verify as argon2Verify } from 'argon2';
import { SignJWT } from 'jose';
import type { Config } from '../config/index.js';
import { newId } from '../store/ids.js';
import type { ApiKey, Store, User } from '../store/types.js';
import type { AuthContext, AuthService } from './types.js';

/** OWASP's Argon2id baseline (quality.md §3): 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { type: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const TOKEN_ALGORITHM = 'HS256';
const TOKEN_SECRET_SETTING = 'token_secret';
/** HS256 is only as strong as its key; a short configured secret is refused rather than used. */
const MIN_SECRET_BYTES = 32;

const API_KEY_PREFIX = 'wft_';
const API_KEY_BYTES = 32;
/** 32 bytes in base62 need at most 43 digits; keys are padded to exactly that. */
const API_KEY_BODY_LENGTH = 43;
const API_KEY_PATTERN = /^wft_[0-9A-Za-z]{43}$/;
const API_KEY_DISPLAY_CHARS = 8;
const API_KEY_TOUCH_INTERVAL_MS = 60_000;

/** Verified tokens remembered per process, so a client's every request does not pay for HMAC and parsing. */
const TOKEN_CACHE_MAX = 10_000;
/**
 * How long a remembered token is trusted without reading its record again. Logout in this process
 * forgets it at once, and so does a role change or removal of the user made here; a change the store
 * learns some other way (another API process) takes effect here within this time.
 */
const TOKEN_RECHECK_MS = 1_000;

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const LOGIN_ACCOUNT_LIMIT = 5;
export const LOGIN_ADDRESS_LIMIT = 20;

/** The one answer for every credential failure, so a caller cannot tell which check refused it. */
function unauthenticated(): AppError {
  return new AppError('UNAUTHENTICATED', 'Unauthenticated.');
}

/** The one answer for a wrong email and a wrong password alike. */
function badCredentials(): AppError {
  return new AppError('UNAUTHENTICATED', 'The email or password is incorrect.');
}

export interface IssuedToken {
  token: string;
  /** Seconds until the token expires. */
  expiresIn: number;
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The plaintext key; it is returned here once and never stored. */
  key: string;
}

/** The auth service with the account operations the auth, user and API key routes need. */
export interface FullAuthService extends AuthService {
  /** Argon2id hash for storing a new password; refuses nothing, the routes validate length first. */
  hashPassword(password: string): Promise<string>;
  /**
   * Checks email and password and issues a token. Throws UNAUTHENTICATED with one message for an
   * unknown email and a wrong password, and RATE_LIMITED (with Retry-After) once the account or the
   * address has failed too often.
   */
  login(input: { email: string; password: string; address: string }): Promise<IssuedToken & { user: User }>;
  /** Signs a token for the user and records its id so it can be revoked. */
  issueToken(user: Pick<User, 'id' | 'companyId' | 'role'>): Promise<IssuedToken>;
  /** Revokes the token the caller authenticated with; API keys are revoked through their own route instead. */
  logout(auth: AuthContext): Promise<void>;
  /** Creates a company API key; the plaintext is in the result and nowhere else. */
  createApiKey(companyId: string, name: string): Promise<CreatedApiKey>;
  /**
   * Forgets this process's remembered tokens of the user, after their role changed or they were
   * removed, so the next request reads the store; other processes see the change within a second.
   */
  forgetUser(userId: string): void;
}

export interface AuthServiceOptions {
  /** Milliseconds since the epoch; tests move it to expire throttling windows. */
  now?: () => number;
  /** Extra wait after repeated failures for one account; tests may turn it off. */
  failureDelay?: (failuresInWindow: number) => number;
}

/**
 * Builds the auth service. The token key comes from WEFT_TOKEN_SECRET, or else from the store, where
 * the first process to start generates it (initSetting keeps one value when several start at once).
 */
export async function createAuthService(store: Store, config: Config, options: AuthServiceOptions = {}): Promise<FullAuthService> {
  const now = options.now ?? Date.now;
  const failureDelay = options.failureDelay ?? defaultFailureDelay;
  const key = await loadTokenKey(store, config);
  // Verifying unknown emails against a hash made with the same parameters costs the same as a real
  // check, so timing does not tell whether an account exists.
  const dummyHash = await argon2Hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS);
  const throttle = new LoginThrottle(now);
  const lastTouched = new TouchThrottle(now, API_KEY_TOUCH_INTERVAL_MS);
  const tokens = new TokenCache();

  async function issueToken(user: Pick<User, 'id' | 'companyId' | 'role'>): Promise<IssuedToken> {
    const jti = newId();
    const issuedAtSec = Math.floor(now() / 1000);
    const expSec = issuedAtSec + config.tokenTtlSeconds;
    // Recorded before it is handed out, so every token in circulation can be revoked.
    await store.createToken({ id: jti, userId: user.id, companyId: user.companyId, expiresAt: new Date(expSec * 1000).toISOString() });
    const token = await new SignJWT({ cid: user.companyId, role: user.role })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' })
      .setSubject(user.id)
      .setJti(jti)
      .setIssuedAt(issuedAtSec)
      .setExpirationTime(expSec)
      .sign(key);
    return { token, expiresIn: config.tokenTtlSeconds };
  }

  /**
   * A refused login, under the company of the account the email names, else under none (never
   * shown to any company). The email itself is not kept: people type passwords into it. A failed
   * write must not change the answer the caller gets, so it is swallowed.
   */
  async function auditLogin(action: string, user: User | undefined, address: string): Promise<void> {
    await store
      .appendAudit({
        companyId: user?.companyId ?? null,
        actorType: 'anonymous',
        actorId: null,
        action,
        targetType: user ? 'user' : null,
        targetId: user?.id ?? null,
        outcome: 'failure',
        address,
        data: null,
      })
      .catch(() => undefined);
  }

  async function authenticateToken(token: string): Promise<AuthContext> {
    const at = now();
    const cached = tokens.get(token);
    if (cached !== undefined) {
      if (at >= cached.expiresAtMs) {
        tokens.delete(token);
        throw unauthenticated();
      }
      if (at - cached.checkedAtMs < TOKEN_RECHECK_MS) return cached.auth;
    }
    const verified = cached?.auth ?? verifyToken(token, key, at);
    if (verified === undefined) throw unauthenticated();
    // The record comes with the user's current role: a removed user's tokens are gone with the user,
    // and a changed role applies to tokens issued before the change (the role claim is only a hint).
    const record = await store.getTokenGrant(verified.credentialId);
    if (!record || record.revokedAt !== null || record.userId !== verified.userId || record.companyId !== verified.companyId) {
      tokens.delete(token);
      throw unauthenticated();
    }
    const auth = record.role === verified.role ? verified : Object.freeze({ ...verified, role: record.role });
    tokens.remember(token, { auth, expiresAtMs: cached?.expiresAtMs ?? expiryOf(token), checkedAtMs: at });
    return auth;
  }

  async function authenticateApiKey(plain: string): Promise<AuthContext> {
    if (!API_KEY_PATTERN.test(plain)) throw unauthenticated();
    const apiKey = await store.findApiKeyByHash(hashApiKey(plain));
    if (!apiKey) throw unauthenticated();
    if (lastTouched.due(apiKey.id)) {
      // Awaited so the list shows the use as soon as the request is answered; it happens at most once
      // a minute per key. last_used_at is informational: a failed update must not fail the request.
      await store.touchApiKey(apiKey.id, new Date(now()).toISOString()).catch(() => undefined);
    }
    return { companyId: apiKey.companyId, role: 'manager', kind: 'api_key', userId: null, credentialId: apiKey.id };
  }

  return {
    async authenticate(authorization) {
      if (typeof authorization !== 'string') throw unauthenticated();
      const value = authorization.trim();
      const bearer = /^Bearer\s+(\S+)$/i.exec(value);
      const credential = bearer ? bearer[1]! : value;
      if (credential.startsWith(API_KEY_PREFIX)) return authenticateApiKey(credential);
      // A login token travels only as a bearer token (spec/api.md §1); the raw form is for API keys.
      if (bearer) return authenticateToken(credential);
      throw unauthenticated();
    },

    hashPassword,

    async login({ email, password, address }) {
      const account = email.trim().toLowerCase();
      let attempt: ReturnType<LoginThrottle['begin']>;
      try {
        attempt = throttle.begin(account, address);
      } catch (err) {
        // The lockout is recorded under the account's company when the email is an account's.
        const known = await store.findUserByEmail(account).catch(() => undefined);
        await auditLogin('auth.login.locked', known, address);
        throw err;
      }
      let user: Awaited<ReturnType<Store['findUserByEmail']>>;
      let ok: boolean;
      try {
        user = await store.findUserByEmail(account);
        // Both branches run one Argon2 verification, so an unknown email and a wrong password take
        // the same time and give the same answer.
        ok = await verifyPassword(user ? user.passwordHash : dummyHash, password);
      } catch (err) {
        // The store failed, not the caller: the attempt does not count against them.
        attempt.cancel();
        throw err;
      }
      if (!user || !ok) {
        const failures = attempt.fail();
        await auditLogin('auth.login.failed', user, address);
        const delayMs = failureDelay(failures);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        throw badCredentials();
      }
      attempt.succeed();
      const { passwordHash: _secret, ...publicUser } = user;
      const issued = await issueToken(publicUser);
      await store.appendAudit({
        companyId: user.companyId,
        actorType: 'user',
        actorId: user.id,
        action: 'auth.login.succeeded',
        targetType: 'user',
        targetId: user.id,
        outcome: 'success',
        address,
        data: null,
      });
      return { ...issued, user: publicUser };
    },

    issueToken,

    async logout(auth) {
      if (auth.kind !== 'token') {
        throw new AppError('VALIDATION_FAILED', 'An API key cannot log out; revoke it with POST /api/v1/api-keys/{id}/revoke instead.', {
          details: { authorization: ['is an API key; only login tokens can log out'] },
        });
      }
      await store.revokeToken(auth.credentialId);
      // Forgotten only after the revocation committed, so no request in between can re-remember it as valid.
      tokens.forgetId(auth.credentialId);
    },

    forgetUser(userId) {
      tokens.forgetUser(userId);
    },

    async createApiKey(companyId, name) {
      const key = generateApiKey();
      const apiKey = await store.createApiKey(companyId, {
        id: newId(),
        name,
        prefix: key.slice(0, API_KEY_PREFIX.length + API_KEY_DISPLAY_CHARS),
        keyHash: hashApiKey(key),
      });
      return { apiKey, key };
    },
  };
}

/** Argon2id hash of a password for storing (also used by `weft user add`); length limits are the caller's. */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2_OPTIONS);
}

async function loadTokenKey(store: Store, config: Config): Promise<KeyObject> {
  if (config.tokenSecret !== undefined) {
    const bytes = Buffer.from(config.tokenSecret, 'utf8');
    if (bytes.length < MIN_SECRET_BYTES)
      throw new Error(`WEFT_TOKEN_SECRET must be at least ${MIN_SECRET_BYTES} bytes long, got ${bytes.length}`);
    return createSecretKey(bytes);
  }
  const stored = await store.initSetting(TOKEN_SECRET_SETTING, randomBytes(32).toString('base64url'));
  const bytes = Buffer.from(stored, 'base64url');
  if (bytes.length < MIN_SECRET_BYTES)
    throw new Error(`the stored setting ${TOKEN_SECRET_SETTING} is shorter than ${MIN_SECRET_BYTES} bytes`);
  return createSecretKey(bytes);
}

async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2Verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a wrong password, not a 500 that tells the account exists.
    return false;
  }
}

const EXPECTED_HEADER_ALG = TOKEN_ALGORITHM;

/**
 * Verifies a compact HS256 JWS with node:crypto (jose's WebCrypto path costs several times more per
 * request). The algorithm is pinned: the header must say HS256 and nothing else (no `crit`, so no
 * unencoded payloads); `none`, asymmetric algorithms and other HMAC sizes are refused whatever the
 * header says. The signature is compared in constant time before the claims are even parsed.
 * Returns undefined for every kind of refusal.
 */
function verifyToken(token: string, key: KeyObject, nowMs: number): AuthContext | undefined {
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot <= 0 || secondDot <= firstDot + 1 || token.indexOf('.', secondDot + 1) !== -1) return undefined;
  const signature = Buffer.from(token.slice(secondDot + 1), 'base64url');
  const expected = createHmac('sha256', key).update(token.slice(0, secondDot)).digest();
  // Only the canonical encoding of the right bytes is accepted (Buffer.from ignores stray characters).
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
  if (token.slice(secondDot + 1) !== expected.toString('base64url')) return undefined;
  const header = decodeSegment(token.slice(0, firstDot));
  if (header === undefined || header.alg !== EXPECTED_HEADER_ALG || 'crit' in header) return undefined;
  const claims = decodeSegment(token.slice(firstDot + 1, secondDot));
  if (claims === undefined) return undefined;
  const { sub, cid, role, jti, exp, nbf, iat } = claims;
  if (typeof sub !== 'string' || typeof cid !== 'string' || typeof jti !== 'string' || !isRole(role)) return undefined;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  const nowSec = Math.floor(nowMs / 1000);
  // As jose checks them: expired at exp, not valid before nbf, iat a number when present.
  if (exp <= nowSec) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSec)) return undefined;
  if (iat !== undefined && typeof iat !== 'number') return undefined;
  // Frozen: the cache hands the same object to every request made with the token.
  return Object.freeze({ companyId: cid, role, kind: 'token', userId: sub, credentialId: jti } as const);
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The token's exp in milliseconds; only called on a token verifyToken accepted. */
function expiryOf(token: string): number {
  const claims = decodeSegment(token.slice(token.indexOf('.') + 1, token.lastIndexOf('.')));
  return (claims?.exp as number) * 1000;
}

interface CachedToken {
  auth: AuthContext;
  expiresAtMs: number;
  /** When the token's record was last read and found valid. */
  checkedAtMs: number;
}

/**
 * Verified tokens by their exact text (a changed byte is a different key, so it is verified from
 * scratch). Bounded: past TOKEN_CACHE_MAX the oldest entries go; each entry also ends at the
 * token's exp and must be re-checked against the store every TOKEN_RECHECK_MS.
 */
class TokenCache {
  readonly #entries = new Map<string, CachedToken>();

  get(token: string): CachedToken | undefined {
    return this.#entries.get(token);
  }

  remember(token: string, entry: CachedToken): void {
    this.#entries.delete(token);
    if (this.#entries.size >= TOKEN_CACHE_MAX) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(token, entry);
  }

  delete(token: string): void {
    this.#entries.delete(token);
  }

  forgetId(jti: string): void {
    for (const [token, entry] of this.#entries) if (entry.auth.credentialId === jti) this.#entries.delete(token);
  }

  forgetUser(userId: string): void {
    for (const [token, entry] of this.#entries) if (entry.auth.userId === userId) this.#entries.delete(token);
  }
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `wft_` + 32 random bytes in base62: no `-` or `_` inside, so a double click selects the whole key. */
export function generateApiKey(): string {
  let n = BigInt(`0x${randomBytes(API_KEY_BYTES).toString('hex')}`);
  let digits = '';
  while (n > 0n) {
    digits = BASE62[Number(n % 62n)]! + digits;
    n /= 62n;
  }
  return API_KEY_PREFIX + digits.padStart(API_KEY_BODY_LENGTH, '0');
}

/**
 * API keys carry 256 random bits, so a fast unsalted SHA-256 is enough: there is no dictionary to
 * guess from, and a deterministic hash lets authenticate find the key by an indexed lookup. Passwords,
 * which are guessable, get Argon2id instead.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** 250 ms more per failure after the second within the window, at most 1 s: slows guessing, barely noticed by people. */
function defaultFailureDelay(failuresInWindow: number): number {
  return Math.min(1000, Math.max(0, failuresInWindow - 2) * 250);
}

/** Bounds the in-memory maps so a flood of distinct emails or addresses cannot grow them without limit. */
const MAX_TRACKED = 100_000;

/**
 * Failed logins per account and per address in a sliding window. In memory, so each process counts
 * on its own and a restart forgets; with several API processes the effective limit is multiplied by
 * their number. A shared store (Redis or the database) is the step up when that matters.
 *
 * An attempt counts as a failure from the moment it starts and is taken back when it succeeds, so a
 * burst of parallel guesses cannot all pass the check before the first one has failed.
 */
class LoginThrottle {
  private readonly accounts = new Map<string, number[]>();
  private readonly addresses = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  begin(account: string, address: string): { fail(): number; succeed(): void; cancel(): void } {
    const at = this.now();
    const accountList = this.recent(this.accounts, account, at);
    const addressList = this.recent(this.addresses, address, at);
    const retryAfterMs = Math.max(
      accountList.length >= LOGIN_ACCOUNT_LIMIT ? accountList[accountList.length - LOGIN_ACCOUNT_LIMIT]! + LOGIN_WINDOW_MS - at : 0,
      addressList.length >= LOGIN_ADDRESS_LIMIT ? addressList[addressList.length - LOGIN_ADDRESS_LIMIT]! + LOGIN_WINDOW_MS - at : 0,
    );
    if (retryAfterMs > 0) {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      throw new AppError('RATE_LIMITED', `Too many failed logins; try again in ${seconds} seconds.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    this.push(this.accounts, account, accountList, at);
    this.push(this.addresses, address, addressList, at);
    const release = (map: Map<string, number[]>, key: string) => {
      const list = map.get(key);
      const i = list ? list.lastIndexOf(at) : -1;
      if (list && i >= 0) list.splice(i, 1);
    };
    return {
      fail: () => this.accounts.get(account)?.length ?? 1,
      succeed: () => {
        // Success clears the account's failures, but not the address's: one valid account must not
        // reset the budget of an address that is guessing at others.
        this.accounts.delete(account);
        release(this.addresses, address);
      },
      cancel: () => {
        release(this.accounts, account);
        release(this.addresses, address);
      },
    };
  }

  private recent(map: Map<string, number[]>, key: string, at: number): number[] {
    const list = map.get(key);
    if (!list) return [];
    const fresh = list.filter((t) => t > at - LOGIN_WINDOW_MS);
    if (fresh.length !== list.length) map.set(key, fresh);
    return fresh;
  }

  private push(map: Map<string, number[]>, key: string, list: number[], at: number): void {
    list.push(at);
    if (!map.has(key) || map.get(key) !== list) {
      map.delete(key);
      if (map.size >= MAX_TRACKED) this.evict(map, at);
      map.set(key, list);
    }
  }

  private evict(map: Map<string, number[]>, at: number): void {
    for (const [key, list] of map) if ((list[list.length - 1] ?? 0) <= at - LOGIN_WINDOW_MS) map.delete(key);
    // Still full of live entries: drop the oldest keys (a Map iterates in insertion order).
    for (const key of map.keys()) {
      if (map.size < MAX_TRACKED) break;
      map.delete(key);
    }
  }
}

/** Remembers when each API key's last_used_at was written, so it is written at most once per interval. */
class TouchThrottle {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly intervalMs: number,
  ) {}

  due(id: string): boolean {
    const at = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && at - last < this.intervalMs) return false;
    if (this.touched.size >= MAX_TRACKED) {
      for (const [key, t] of this.touched) if (at - t >= this.intervalMs) this.touched.delete(key);
      if (this.touched.size >= MAX_TRACKED) this.touched.clear();
    }
    this.touched.set(id, at);
    return true;
  }
}
