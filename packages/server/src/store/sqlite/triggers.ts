import type { FlowDefinition } from '@weft/schema';
import { newWebhookSecret, sameHash, schedulesOf } from '../trigger-config.js';
import type { ScheduledFlow, Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { toFlowHead } from './rows.js';
import type { FlowsTable } from './tables.js';

type TriggerMethods = Pick<Store, 'listScheduledFlows' | 'ensureWebhookSecret' | 'rotateWebhookSecret' | 'verifyWebhook'>;

interface ScheduledRow {
  company_id: string;
  flow_id: string;
  version_id: string;
  priority: number;
  definition: string;
}

// The LIKE is only a cheap pre-filter so most definitions are never parsed; the parse decides.
const SQL = {
  scheduled: `SELECT f.company_id, f.id AS flow_id, v.id AS version_id, f.priority, v.definition
    FROM flows f JOIN flow_versions v ON v.id = f.deployed_version_id AND v.company_id = f.company_id
    WHERE f.enabled = 1 AND v.definition LIKE '%"schedules"%' ORDER BY f.id`,
  insertSecret: `INSERT INTO flow_webhooks (flow_id, company_id, secret_hash, created_at)
    SELECT f.id, f.company_id, ?, ? FROM flows f WHERE f.company_id = ? AND f.id = ?
    ON CONFLICT (flow_id) DO NOTHING`,
  upsertSecret: `INSERT INTO flow_webhooks (flow_id, company_id, secret_hash, created_at)
    SELECT f.id, f.company_id, ?, ? FROM flows f WHERE f.company_id = ? AND f.id = ?
    ON CONFLICT (flow_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at`,
  // The flow comes with its secret: a caller that proves the secret goes on with the flow.
  secret: `SELECT f.*, w.secret_hash FROM flow_webhooks w JOIN flows f ON f.id = w.flow_id AND f.company_id = w.company_id
    WHERE w.company_id = ? AND w.flow_id = ?`,
} as const;

/** Schedules (read from deployed definitions) and per-flow webhook secrets. */
export function triggerMethods({ db }: SqliteContext): TriggerMethods {
  const writeSecret = (sqlText: string, companyId: string, flowId: string) => {
    const { secret, hash } = newWebhookSecret();
    return db.writeOne(() => (db.statement(sqlText).run(hash, nowIso(), companyId, flowId).changes === 1 ? secret : undefined));
  };

  return {
    async listScheduledFlows() {
      const rows = db.statement(SQL.scheduled).all() as ScheduledRow[];
      const out: ScheduledFlow[] = [];
      for (const row of rows) {
        const schedules = schedulesOf(JSON.parse(row.definition) as FlowDefinition);
        if (schedules.length === 0) continue;
        out.push({ companyId: row.company_id, flowId: row.flow_id, versionId: row.version_id, priority: row.priority, schedules });
      }
      return out;
    },
    ensureWebhookSecret: (companyId, flowId) => writeSecret(SQL.insertSecret, companyId, flowId),
    rotateWebhookSecret: (companyId, flowId) => writeSecret(SQL.upsertSecret, companyId, flowId),
    async verifyWebhook(companyId, flowId, secretHash) {
      const row = db.statement(SQL.secret).get(companyId, flowId) as (FlowsTable & { secret_hash: string }) | undefined;
      return row !== undefined && sameHash(row.secret_hash, secretHash) ? toFlowHead(row) : undefined;
    },
  };
}
