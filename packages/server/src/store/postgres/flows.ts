import { AppError } from '@weft/schema';
import { sql } from 'kysely';
import type pg from 'pg';
import { newId } from '../ids.js';
import type { FlowVersion, Store } from '../types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { type Queryable, statement } from './database.js';
import { type FlowRow, toFlow, toFlowHead, toVersion } from './rows.js';
import type { FlowsTable, FlowVersionsTable } from './tables.js';

type FlowMethods = Pick<
  Store,
  | 'createFlow'
  | 'getFlow'
  | 'getFlowHead'
  | 'listFlows'
  | 'updateFlow'
  | 'deleteFlow'
  | 'listVersions'
  | 'getVersion'
  | 'updateDraft'
  | 'deployVersion'
  | 'copyToDraft'
>;

const DEFAULT_PRIORITY = 3;

// Computed in the query rather than kept in columns, so creating and finishing runs (the hot
// path) never has to touch the flow row; both are index lookups.
const VERSIONS_COUNT_SQL = '(SELECT count(*) FROM flow_versions v WHERE v.flow_id = f.id)';
const LATEST_RUN_STATUS_SQL =
  '(SELECT r.status FROM runs r WHERE r.company_id = f.company_id AND r.flow_id = f.id ORDER BY r.id DESC LIMIT 1)';

// Single-row reads are on the start path (every start reads its flow and version).
const SQL = {
  flow: statement(`SELECT f.*, ${VERSIONS_COUNT_SQL} AS versions_count, ${LATEST_RUN_STATUS_SQL} AS latest_run_status
    FROM flows f WHERE f.company_id = $1 AND f.id = $2`),
  flowHead: statement('SELECT * FROM flows WHERE company_id = $1 AND id = $2'),
  version: statement('SELECT * FROM flow_versions WHERE id = $1 AND company_id = $2'),
  // The draft is changed only while it is the draft; the condition is rechecked on the current
  // row if a deploy changed it meanwhile.
  updateDraft: statement(`WITH v AS (
      UPDATE flow_versions SET definition = $3::json, updated_at = $4 WHERE id = $1 AND company_id = $2 AND status = 'draft' RETURNING *
    ), f AS (UPDATE flows SET updated_at = $4 FROM v WHERE flows.id = v.flow_id)
    SELECT * FROM v`),
  lockFlow: 'SELECT id FROM flows WHERE id = $1 FOR UPDATE',
} as const;

/** Flows and their versions. The draft/deployed pointers on flows change only together with version statuses. */
export function flowMethods({ db }: PostgresContext): FlowMethods {
  const k = db.kysely;

  const computedColumns = [
    sql.raw<number>(VERSIONS_COUNT_SQL).as('versions_count'),
    sql.raw<string | null>(LATEST_RUN_STATUS_SQL).as('latest_run_status'),
  ];

  const readFlow = async (companyId: string, flowId: string, on: Queryable = db.pool) => {
    const row = await db.row<FlowRow>(SQL.flow, [companyId, flowId], on);
    return row && toFlow(row);
  };

  const readVersion = async (companyId: string, versionId: string, on: Queryable = db.pool) => {
    const row = await db.row<FlowVersionsTable>(SQL.version, [versionId, companyId], on);
    return row && toVersion(row);
  };

  const readDraft = async (flowId: string, on: Queryable) => {
    const row = await db.first(k.selectFrom('flow_versions').selectAll().where('flow_id', '=', flowId).where('status', '=', 'draft'), on);
    if (row === undefined) throw new AppError('INTERNAL', `The flow ${flowId} has no draft version.`);
    return toVersion(row);
  };

  /**
   * Reads the version, then locks its flow, then reads the version again: changes to a flow's
   * versions take turns on the flow row, and the second read sees what the previous turn committed.
   */
  const lockedVersion = async (client: pg.PoolClient, companyId: string, versionId: string) => {
    const seen = await readVersion(companyId, versionId, client);
    if (seen === undefined) return undefined;
    await client.query(SQL.lockFlow, [seen.flowId]);
    return readVersion(companyId, versionId, client);
  };

  const touchFlow = (flowId: string, at: string, on: Queryable) =>
    db.execute(k.updateTable('flows').set({ updated_at: at }).where('id', '=', flowId), on);

  return {
    async createFlow(companyId, input) {
      return db.transaction(async (client) => {
        const at = nowIso();
        const flowId = newId();
        const draftId = newId();
        // From the company row: no flow for a company that does not exist.
        const inserted = await db.run(
          `INSERT INTO flows (id, company_id, name, description, enabled, priority, labels, draft_version_id, deployed_version_id, created_at, updated_at)
            SELECT $1::text, c.id, $3::text, $4::text, false, $5::integer, $6::text[], $7::text, NULL, $8::timestamptz, $8::timestamptz FROM companies c WHERE c.id = $2`,
          [flowId, companyId, input.name, input.description ?? '', input.priority ?? DEFAULT_PRIORITY, input.labels ?? [], draftId, at],
          client,
        );
        if (inserted === 0) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        await db.run(
          `INSERT INTO flow_versions (id, company_id, flow_id, number, status, definition, created_at, updated_at, deployed_at)
            VALUES ($1, $2, $3, 1, 'draft', $4::json, $5, $5, NULL)`,
          [draftId, companyId, flowId, JSON.stringify(input.definition), at],
          client,
        );
        const flow = await readFlow(companyId, flowId, client);
        if (flow === undefined) throw new AppError('INTERNAL', `The flow ${flowId} was not stored.`);
        return flow;
      });
    },

    async getFlowHead(companyId, flowId) {
      const row = await db.row<FlowsTable>(SQL.flowHead, [companyId, flowId]);
      return row && toFlowHead(row);
    },

    async getFlow(companyId, flowId) {
      return readFlow(companyId, flowId);
    },

    async listFlows(companyId, filters, page) {
      let query = k.selectFrom('flows as f').where('f.company_id', '=', companyId);
      if (filters.name !== undefined && filters.name !== '') {
        // strpos, not LIKE: the search text is literal ('%' finds a '%').
        query = query.where(sql<boolean>`strpos(lower(f.name), lower(${filters.name})) > 0`);
      }
      if (filters.enabled !== undefined) query = query.where('f.enabled', '=', filters.enabled);
      if (filters.deployed !== undefined) query = query.where('f.deployed_version_id', filters.deployed ? 'is not' : 'is', null);
      if (filters.label !== undefined) query = query.where(sql<boolean>`${filters.label} = ANY(f.labels)`);
      const total = (await db.first(query.select((eb) => eb.fn.countAll<number>().as('n'))))?.n ?? 0;
      const { limit, offset } = pageWindow(page);
      const rows = await db.all(query.selectAll('f').select(computedColumns).orderBy('f.id', 'desc').limit(limit).offset(offset));
      return { rows: rows.map(toFlow), total };
    },

    async updateFlow(companyId, flowId, patch) {
      const values = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        ...(patch.priority !== undefined && { priority: patch.priority }),
        ...(patch.labels !== undefined && { labels: sql<string[]>`${patch.labels}::text[]` }),
        updated_at: nowIso(),
      };
      const changed = await db.execute(k.updateTable('flows').set(values).where('company_id', '=', companyId).where('id', '=', flowId));
      return changed === 0 ? undefined : readFlow(companyId, flowId);
    },

    async deleteFlow(companyId, flowId) {
      // Versions go by ON DELETE CASCADE; runs and payloads stay for retention.
      return (await db.execute(k.deleteFrom('flows').where('company_id', '=', companyId).where('id', '=', flowId))) > 0;
    },

    async listVersions(companyId, flowId) {
      const rows = await db.all(
        k
          .selectFrom('flow_versions')
          .selectAll()
          .where('company_id', '=', companyId)
          .where('flow_id', '=', flowId)
          .orderBy('number', 'desc'),
      );
      return rows.map(toVersion);
    },

    async getVersion(companyId, versionId) {
      return readVersion(companyId, versionId);
    },

    async updateDraft(companyId, versionId, definition) {
      const row = await db.row<FlowVersionsTable>(SQL.updateDraft, [versionId, companyId, JSON.stringify(definition), nowIso()]);
      if (row !== undefined) return toVersion(row);
      const version = await readVersion(companyId, versionId);
      if (version === undefined) return undefined;
      throw readOnly(version);
    },

    async deployVersion(companyId, versionId, options) {
      return db.transaction(async (client) => {
        const version = await lockedVersion(client, companyId, versionId);
        if (version === undefined) return undefined;
        const at = nowIso();
        const flowPatch: { deployed_version_id: string; updated_at: string; draft_version_id?: string; enabled?: boolean } = {
          deployed_version_id: versionId,
          updated_at: at,
        };
        if (options.enable === true) flowPatch.enabled = true;

        if (version.status !== 'deployed') {
          // Order matters: the partial unique indexes allow one draft and one deployed version
          // per flow after every statement, not only at commit.
          await db.execute(
            k
              .updateTable('flow_versions')
              .set({ status: 'inactive', updated_at: at })
              .where('flow_id', '=', version.flowId)
              .where('status', '=', 'deployed'),
            client,
          );
          await db.execute(
            k.updateTable('flow_versions').set({ status: 'deployed', deployed_at: at, updated_at: at }).where('id', '=', versionId),
            client,
          );
          if (version.status === 'draft') {
            const draftId = newId();
            await db.run(
              `INSERT INTO flow_versions (id, company_id, flow_id, number, status, definition, created_at, updated_at, deployed_at)
                SELECT $1::text, $2::text, $3::text, max(number) + 1, 'draft', $4::json, $5::timestamptz, $5::timestamptz, NULL::timestamptz
                FROM flow_versions WHERE flow_id = $3`,
              [draftId, companyId, version.flowId, JSON.stringify(version.definition), at],
              client,
            );
            flowPatch.draft_version_id = draftId;
          }
        }
        await db.execute(k.updateTable('flows').set(flowPatch).where('id', '=', version.flowId), client);
        return readVersion(companyId, versionId, client);
      });
    },

    async copyToDraft(companyId, versionId) {
      return db.transaction(async (client) => {
        const version = await lockedVersion(client, companyId, versionId);
        if (version === undefined) return undefined;
        const draft = await readDraft(version.flowId, client);
        if (draft.id === version.id) return draft;
        const at = nowIso();
        await db.run(
          'UPDATE flow_versions SET definition = $1::json, updated_at = $2 WHERE id = $3',
          [JSON.stringify(version.definition), at, draft.id],
          client,
        );
        await touchFlow(version.flowId, at, client);
        return readDraft(version.flowId, client);
      });
    },
  };
}

function readOnly(version: FlowVersion): AppError {
  return new AppError(
    'VERSION_READ_ONLY',
    `Version ${version.number} is ${version.status}; only the draft can be changed. Copy it to the draft first.`,
  );
}
