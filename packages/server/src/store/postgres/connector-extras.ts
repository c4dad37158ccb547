import type { ConnectorExtrasStoreMethods, InstanceSecretRow, OAuthState } from '../connector-extras-types.js';
import type { PostgresContext } from './context.js';

interface StateRow {
  id: string;
  company_id: string;
  instance_id: string;
  code_verifier: string;
  redirect_uri: string;
  expires_at_ms: string;
}

export function connectorExtrasMethods({ db }: PostgresContext): ConnectorExtrasStoreMethods {
  return {
    async reserveRateSlot(companyId, bucket, intervalMs, windowMs, nowMs) {
      // One statement: the row lock of the upsert orders concurrent bookings from every process.
      const row = await db.row<{ tat_ms: string }>(
        `INSERT INTO rate_slots (company_id, bucket, tat_ms) VALUES ($1, $2, $3)
         ON CONFLICT (company_id, bucket) DO UPDATE SET tat_ms = GREATEST(rate_slots.tat_ms, $4) + $5
         RETURNING tat_ms`,
        [companyId, bucket, nowMs + intervalMs, nowMs, intervalMs],
      );
      return Math.max(nowMs, Number(row?.tat_ms ?? nowMs) - windowMs);
    },

    async deferRateSlot(companyId, bucket, untilMs) {
      await db.run(
        `INSERT INTO rate_slots (company_id, bucket, tat_ms) VALUES ($1, $2, $3)
         ON CONFLICT (company_id, bucket) DO UPDATE SET tat_ms = GREATEST(rate_slots.tat_ms, EXCLUDED.tat_ms)`,
        [companyId, bucket, Math.round(untilMs)],
      );
    },

    async createOAuthState(state) {
      await db.run('DELETE FROM oauth_states WHERE expires_at_ms < $1', [Date.now()]);
      await db.run(
        `INSERT INTO oauth_states (id, company_id, instance_id, code_verifier, redirect_uri, expires_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [state.id, state.companyId, state.instanceId, state.codeVerifier, state.redirectUri, state.expiresAt],
      );
    },

    async consumeOAuthState(id, nowMs) {
      // DELETE … RETURNING: of two callbacks with the same state only one gets the row.
      const row = await db.row<StateRow>('DELETE FROM oauth_states WHERE id = $1 RETURNING *', [id]);
      if (row === undefined || Number(row.expires_at_ms) < nowMs) return undefined;
      return toState(row);
    },

    async listInstanceSecrets(after, limit) {
      const rows =
        after === undefined
          ? await db.rows<{ company_id: string; id: string; credentials_ciphertext: string }>(
              `SELECT company_id, id, credentials_ciphertext FROM instances WHERE credentials_ciphertext IS NOT NULL
               ORDER BY company_id, id LIMIT $1`,
              [limit],
            )
          : await db.rows<{ company_id: string; id: string; credentials_ciphertext: string }>(
              `SELECT company_id, id, credentials_ciphertext FROM instances WHERE credentials_ciphertext IS NOT NULL
               AND (company_id, id) > ($1, $2) ORDER BY company_id, id LIMIT $3`,
              [after.companyId, after.instanceId, limit],
            );
      return rows.map((r): InstanceSecretRow => ({ companyId: r.company_id, instanceId: r.id, ciphertext: r.credentials_ciphertext }));
    },

    async replaceInstanceSecret(companyId, instanceId, expected, next) {
      const changed = await db.run(
        'UPDATE instances SET credentials_ciphertext = $1 WHERE company_id = $2 AND id = $3 AND credentials_ciphertext = $4',
        [next, companyId, instanceId, expected],
      );
      return changed > 0;
    },
  };
}

function toState(row: StateRow): OAuthState {
  return {
    id: row.id,
    companyId: row.company_id,
    instanceId: row.instance_id,
    codeVerifier: row.code_verifier,
    redirectUri: row.redirect_uri,
    expiresAt: Number(row.expires_at_ms),
  };
}
