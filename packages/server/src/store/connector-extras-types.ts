/**
 * Store methods for connector instances beyond their CRUD: shared rate-limit buckets, OAuth 2
 * authorisation states, and walking every stored credential for a key rotation.
 */

/** A pending OAuth 2 authorisation (authorisation code grant), single-use and short-lived. */
export interface OAuthState {
  /** Random, unguessable; the `state` sent to the provider carries it with an HMAC. */
  id: string;
  companyId: string;
  instanceId: string;
  /** The PKCE verifier whose S256 challenge went to the provider. */
  codeVerifier: string;
  redirectUri: string;
  /** Epoch milliseconds after which the state is refused. */
  expiresAt: number;
}

/** One instance's stored ciphertext, for `weft keys rotate`. */
export interface InstanceSecretRow {
  companyId: string;
  instanceId: string;
  ciphertext: string;
}

export interface ConnectorExtrasStoreMethods {
  /**
   * Books the next slot of a rate-limit bucket (GCRA: bursts up to the limit, then evenly spaced),
   * atomically, so every process sharing the store counts. `intervalMs` is the window divided by
   * the number of requests. Returns the epoch milliseconds at which the caller may send.
   */
  reserveRateSlot(companyId: string, bucket: string, intervalMs: number, windowMs: number, nowMs: number): Promise<number>;
  /** Keeps the bucket's next slot at or after `untilMs` (a target's Retry-After), for every process. */
  deferRateSlot(companyId: string, bucket: string, untilMs: number): Promise<void>;
  createOAuthState(state: OAuthState): Promise<void>;
  /** Deletes and returns the state when it exists and has not expired; undefined otherwise (used, unknown or expired). */
  consumeOAuthState(id: string, nowMs: number): Promise<OAuthState | undefined>;
  /** Instances with credentials in (company id, instance id) order after `after`, for rotations that resume. */
  listInstanceSecrets(after: { companyId: string; instanceId: string } | undefined, limit: number): Promise<InstanceSecretRow[]>;
  /** Replaces the ciphertext only when it is still `expected` (a concurrent change wins); true when replaced. */
  replaceInstanceSecret(companyId: string, instanceId: string, expected: string, next: string): Promise<boolean>;
}

export const connectorExtrasMigrationSql = /* sql */ `
CREATE TABLE rate_slots (
  company_id TEXT NOT NULL,
  bucket     TEXT NOT NULL,
  tat_ms     BIGINT NOT NULL,
  PRIMARY KEY (company_id, bucket)
);
CREATE TABLE oauth_states (
  id            TEXT PRIMARY KEY,
  company_id    TEXT NOT NULL,
  instance_id   TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  redirect_uri  TEXT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);
`;
