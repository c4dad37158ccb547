import type { ConnectorExtrasStoreMethods, InstanceSecretRow, OAuthState } from '../connector-extras-types.js';
import type { SqliteContext } from './context.js';

interface StateRow {
  id: string;
  company_id: string;
  instance_id: string;
  code_verifier: string;
  redirect_uri: string;
  expires_at_ms: number;
}

const SQL = {
  // The theoretical arrival time moves on by one interval per booking, from now when the bucket was idle.
  reserve: `INSERT INTO rate_slots (company_id, bucket, tat_ms) VALUES (?, ?, ?)
    ON CONFLICT (company_id, bucket) DO UPDATE SET tat_ms = max(tat_ms, excluded.tat_ms - ?) + ?
    RETURNING tat_ms`,
  defer: `INSERT INTO rate_slots (company_id, bucket, tat_ms) VALUES (?, ?, ?)
    ON CONFLICT (company_id, bucket) DO UPDATE SET tat_ms = max(tat_ms, excluded.tat_ms)`,
  insertState: `INSERT INTO oauth_states (id, company_id, instance_id, code_verifier, redirect_uri, expires_at_ms)
    VALUES (?, ?, ?, ?, ?, ?)`,
  consumeState: 'DELETE FROM oauth_states WHERE id = ? RETURNING *',
  dropExpired: 'DELETE FROM oauth_states WHERE expires_at_ms < ?',
  secretsFirst: `SELECT company_id, id, credentials_ciphertext FROM instances WHERE credentials_ciphertext IS NOT NULL
    ORDER BY company_id, id LIMIT ?`,
  secretsAfter: `SELECT company_id, id, credentials_ciphertext FROM instances WHERE credentials_ciphertext IS NOT NULL
    AND (company_id > ? OR (company_id = ? AND id > ?)) ORDER BY company_id, id LIMIT ?`,
  replaceSecret: 'UPDATE instances SET credentials_ciphertext = ? WHERE company_id = ? AND id = ? AND credentials_ciphertext = ?',
} as const;

export function connectorExtrasMethods({ db }: SqliteContext): ConnectorExtrasStoreMethods {
  return {
    async reserveRateSlot(companyId, bucket, intervalMs, windowMs, nowMs) {
      const { tat_ms } = await db.writeOne(
        () => db.statement(SQL.reserve).get(companyId, bucket, nowMs + intervalMs, intervalMs, intervalMs) as { tat_ms: number },
      );
      // The booking's own slot: up to a window's worth of requests may go at once.
      return Math.max(nowMs, Number(tat_ms) - windowMs);
    },

    async deferRateSlot(companyId, bucket, untilMs) {
      await db.writeOne(() => db.statement(SQL.defer).run(companyId, bucket, Math.round(untilMs)));
    },

    async createOAuthState(state) {
      await db.write(() => {
        db.statement(SQL.dropExpired).run(Date.now());
        db.statement(SQL.insertState).run(
          state.id,
          state.companyId,
          state.instanceId,
          state.codeVerifier,
          state.redirectUri,
          state.expiresAt,
        );
      });
    },

    async consumeOAuthState(id, nowMs) {
      const row = await db.writeOne(() => db.statement(SQL.consumeState).get(id) as StateRow | undefined);
      if (row === undefined || Number(row.expires_at_ms) < nowMs) return undefined;
      return toState(row);
    },

    async listInstanceSecrets(after, limit) {
      const rows = (
        after === undefined
          ? db.statement(SQL.secretsFirst).all(limit)
          : db.statement(SQL.secretsAfter).all(after.companyId, after.companyId, after.instanceId, limit)
      ) as Array<{ company_id: string; id: string; credentials_ciphertext: string }>;
      return rows.map((r): InstanceSecretRow => ({ companyId: r.company_id, instanceId: r.id, ciphertext: r.credentials_ciphertext }));
    },

    async replaceInstanceSecret(companyId, instanceId, expected, next) {
      return db.writeOne(() => db.statement(SQL.replaceSecret).run(next, companyId, instanceId, expected).changes > 0);
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
