import type { FlowDefinition } from '@weft/schema';
import { newWebhookSecret, sameHash, schedulesOf } from '../trigger-config.js';
import type { ScheduledFlow, Store } from '../types.js';
import { nowIso, type PostgresContext } from './context.js';
import { statement } from './database.js';
import { toFlowHead } from './rows.js';
import type { FlowsTable } from './tables.js';

type TriggerMethods = Pick<Store, 'listScheduledFlows' | 'ensureWebhookSecret' | 'rotateWebhookSecret' | 'verifyWebhook'>;

/** json columns arrive parsed (database.ts). */
interface ScheduledRow {
  company_id: string;
  flow_id: string;
  version_id: string;
  priority: number;
  definition: FlowDefinition;
}

// The LIKE is only a cheap pre-filter so most definitions are never sent or parsed; the parse decides.
const SQL = {
  scheduled: statement(`SELECT f.company_id, f.id AS flow_id, v.id AS version_id, f.priority, v.definition
    FROM flows f JOIN flow_versions v ON v.id = f.deployed_version_id AND v.company_id = f.company_id
    WHERE f.enabled AND v.definition::text LIKE '%"schedules"%' ORDER BY f.id`),
  insertSecret: statement(`INSERT INTO flow_webhooks (flow_id, company_id, secret_hash, created_at)
    SELECT f.id, f.company_id, $1::text, $2::timestamptz FROM flows f WHERE f.company_id = $3 AND f.id = $4
    ON CONFLICT (flow_id) DO NOTHING`),
  upsertSecret: statement(`INSERT INTO flow_webhooks (flow_id, company_id, secret_hash, created_at)
    SELECT f.id, f.company_id, $1::text, $2::timestamptz FROM flows f WHERE f.company_id = $3 AND f.id = $4
    ON CONFLICT (flow_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at`),
  // The flow comes with its secret: a caller that proves the secret goes on with the flow.
  secret: statement(`SELECT f.*, w.secret_hash FROM flow_webhooks w JOIN flows f ON f.id = w.flow_id AND f.company_id = w.company_id
    WHERE w.company_id = $1 AND w.flow_id = $2`),
} as const;

/** Schedules (read from deployed definitions) and per-flow webhook secrets. */
export function triggerMethods({ db }: PostgresContext): TriggerMethods {
  const writeSecret = async (stmt: (typeof SQL)['insertSecret'], companyId: string, flowId: string) => {
    const { secret, hash } = newWebhookSecret();
    return (await db.run(stmt, [hash, nowIso(), companyId, flowId])) === 1 ? secret : undefined;
  };

  return {
    async listScheduledFlows() {
      const rows = await db.rows<ScheduledRow>(SQL.scheduled);
      const out: ScheduledFlow[] = [];
      for (const row of rows) {
        const schedules = schedulesOf(row.definition);
        if (schedules.length === 0) continue;
        out.push({ companyId: row.company_id, flowId: row.flow_id, versionId: row.version_id, priority: row.priority, schedules });
      }
      return out;
    },
    ensureWebhookSecret: (companyId, flowId) => writeSecret(SQL.insertSecret, companyId, flowId),
    rotateWebhookSecret: (companyId, flowId) => writeSecret(SQL.upsertSecret, companyId, flowId),
    async verifyWebhook(companyId, flowId, secretHash) {
      const row = await db.row<FlowsTable & { secret_hash: string }>(SQL.secret, [companyId, flowId]);
      return row !== undefined && sameHash(row.secret_hash, secretHash) ? toFlowHead(row) : undefined;
    },
  };
}
