import { AppError } from '@weft/schema';
import { sql } from 'kysely';
import { newId } from '../ids.js';
import type { FlowVersion, Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
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
const DEFINITION_CACHE_MAX = 1000;

// Computed in the query rather than kept in columns, so creating and finishing runs (the hot
// path) never has to touch the flow row; both are index lookups.
const VERSIONS_COUNT_SQL = '(SELECT count(*) FROM flow_versions v WHERE v.flow_id = f.id)';
const LATEST_RUN_STATUS_SQL =
  '(SELECT r.status FROM runs r WHERE r.company_id = f.company_id AND r.flow_id = f.id ORDER BY r.id DESC LIMIT 1)';

// Single-row reads are on the start path (every start reads its flow and version), where
// building the query with Kysely each time costs more than running it.
const SQL = {
  flow: `SELECT f.*, ${VERSIONS_COUNT_SQL} AS versions_count, ${LATEST_RUN_STATUS_SQL} AS latest_run_status
    FROM flows f WHERE f.company_id = ? AND f.id = ?`,
  flowHead: 'SELECT * FROM flows WHERE company_id = ? AND id = ?',
  version: 'SELECT * FROM flow_versions WHERE id = ? AND company_id = ?',
} as const;

/** Flows and their versions. The draft/deployed pointers on flows change only together with version statuses. */
export function flowMethods({ db }: SqliteContext): FlowMethods {
  const k = db.kysely;

  const computedColumns = [
    sql.raw<number>(VERSIONS_COUNT_SQL).as('versions_count'),
    sql.raw<string | null>(LATEST_RUN_STATUS_SQL).as('latest_run_status'),
  ];

  const readFlow = (companyId: string, flowId: string) => {
    const row = db.statement(SQL.flow).get(companyId, flowId) as FlowRow | undefined;
    return row && toFlow(row);
  };

  /**
   * Parsed definitions of versions that are no longer drafts, by id. Those never change (only
   * the draft can be edited), and every start and every run reads its version: parsing the
   * definition was most of that read's cost. Keyed with updated_at as well, so a row that did
   * change (a restore from backup, another process) is parsed again.
   */
  const definitions = new Map<string, { updatedAt: string; definition: FlowVersion['definition'] }>();
  const readVersion = (companyId: string, versionId: string): FlowVersion | undefined => {
    const row = db.statement(SQL.version).get(versionId, companyId) as FlowVersionsTable | undefined;
    if (row === undefined) return undefined;
    if (row.status === 'draft') return toVersion(row);
    const kept = definitions.get(row.id);
    if (kept !== undefined && kept.updatedAt === row.updated_at) return toVersion(row, kept.definition);
    const version = toVersion(row);
    if (definitions.size >= DEFINITION_CACHE_MAX) definitions.delete(definitions.keys().next().value as string);
    definitions.set(row.id, { updatedAt: row.updated_at, definition: version.definition });
    return version;
  };

  const readDraft = (flowId: string) => {
    const row = db.first(k.selectFrom('flow_versions').selectAll().where('flow_id', '=', flowId).where('status', '=', 'draft'));
    if (row === undefined) throw new AppError('INTERNAL', `The flow ${flowId} has no draft version.`);
    return toVersion(row);
  };

  const touchFlow = (flowId: string, at: string) => db.execute(k.updateTable('flows').set({ updated_at: at }).where('id', '=', flowId));

  return {
    async createFlow(companyId, input) {
      return db.write(() => {
        if (db.first(k.selectFrom('companies').select('id').where('id', '=', companyId)) === undefined) {
          throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        }
        const at = nowIso();
        const flowId = newId();
        const draftId = newId();
        db.execute(
          k.insertInto('flows').values({
            id: flowId,
            company_id: companyId,
            name: input.name,
            description: input.description ?? '',
            enabled: 0,
            priority: input.priority ?? DEFAULT_PRIORITY,
            labels: JSON.stringify(input.labels ?? []),
            draft_version_id: draftId,
            deployed_version_id: null,
            created_at: at,
            updated_at: at,
          }),
        );
        db.execute(
          k.insertInto('flow_versions').values({
            id: draftId,
            company_id: companyId,
            flow_id: flowId,
            number: 1,
            status: 'draft',
            definition: JSON.stringify(input.definition),
            created_at: at,
            updated_at: at,
            deployed_at: null,
          }),
        );
        const flow = readFlow(companyId, flowId);
        if (flow === undefined) throw new AppError('INTERNAL', `The flow ${flowId} was not stored.`);
        return flow;
      });
    },

    async getFlowHead(companyId, flowId) {
      const row = db.statement(SQL.flowHead).get(companyId, flowId) as FlowsTable | undefined;
      return row && toFlowHead(row);
    },

    async getFlow(companyId, flowId) {
      return readFlow(companyId, flowId);
    },

    async listFlows(companyId, filters, page) {
      let query = k.selectFrom('flows as f').where('f.company_id', '=', companyId);
      if (filters.name !== undefined && filters.name !== '') {
        query = query.where(sql<boolean>`instr(js_lower(f.name), ${filters.name.toLowerCase()}) > 0`);
      }
      if (filters.enabled !== undefined) query = query.where('f.enabled', '=', filters.enabled ? 1 : 0);
      if (filters.deployed !== undefined) query = query.where('f.deployed_version_id', filters.deployed ? 'is not' : 'is', null);
      if (filters.label !== undefined) {
        query = query.where(sql<boolean>`exists (select 1 from json_each(f.labels) where json_each.value = ${filters.label})`);
      }
      const total = db.first(query.select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0;
      const { limit, offset } = pageWindow(page);
      const rows = db.all(query.selectAll('f').select(computedColumns).orderBy('f.id', 'desc').limit(limit).offset(offset));
      return { rows: rows.map(toFlow), total };
    },

    async updateFlow(companyId, flowId, patch) {
      return db.write(() => {
        const values = {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled ? 1 : 0 }),
          ...(patch.priority !== undefined && { priority: patch.priority }),
          ...(patch.labels !== undefined && { labels: JSON.stringify(patch.labels) }),
          updated_at: nowIso(),
        };
        const changed = db.execute(k.updateTable('flows').set(values).where('company_id', '=', companyId).where('id', '=', flowId));
        return changed === 0 ? undefined : readFlow(companyId, flowId);
      });
    },

    async deleteFlow(companyId, flowId) {
      // Versions go by ON DELETE CASCADE; runs and payloads stay for retention.
      return (await db.write(() => db.execute(k.deleteFrom('flows').where('company_id', '=', companyId).where('id', '=', flowId)))) > 0;
    },

    async listVersions(companyId, flowId) {
      return db
        .all(
          k
            .selectFrom('flow_versions')
            .selectAll()
            .where('company_id', '=', companyId)
            .where('flow_id', '=', flowId)
            .orderBy('number', 'desc'),
        )
        .map((row) => toVersion(row));
    },

    async getVersion(companyId, versionId) {
      return readVersion(companyId, versionId);
    },

    async updateDraft(companyId, versionId, definition) {
      return db.write(() => {
        const version = readVersion(companyId, versionId);
        if (version === undefined) return undefined;
        if (version.status !== 'draft') throw readOnly(version);
        const at = nowIso();
        db.execute(
          k
            .updateTable('flow_versions')
            .set({ definition: JSON.stringify(definition), updated_at: at })
            .where('id', '=', versionId),
        );
        touchFlow(version.flowId, at);
        return readVersion(companyId, versionId);
      });
    },

    async deployVersion(companyId, versionId, options) {
      return db.write(() => {
        const version = readVersion(companyId, versionId);
        if (version === undefined) return undefined;
        const at = nowIso();
        const flowPatch: { deployed_version_id: string; updated_at: string; draft_version_id?: string; enabled?: number } = {
          deployed_version_id: versionId,
          updated_at: at,
        };
        if (options.enable === true) flowPatch.enabled = 1;

        if (version.status !== 'deployed') {
          // Order matters: the partial unique indexes allow one draft and one deployed version
          // per flow after every statement, not only at commit.
          db.execute(
            k
              .updateTable('flow_versions')
              .set({ status: 'inactive', updated_at: at })
              .where('flow_id', '=', version.flowId)
              .where('status', '=', 'deployed'),
          );
          db.execute(
            k.updateTable('flow_versions').set({ status: 'deployed', deployed_at: at, updated_at: at }).where('id', '=', versionId),
          );
          if (version.status === 'draft') {
            const highest = db.first(
              k
                .selectFrom('flow_versions')
                .select((eb) => eb.fn.max('number').as('n'))
                .where('flow_id', '=', version.flowId),
            );
            const draftId = newId();
            db.execute(
              k.insertInto('flow_versions').values({
                id: draftId,
                company_id: companyId,
                flow_id: version.flowId,
                number: (highest?.n ?? version.number) + 1,
                status: 'draft',
                definition: JSON.stringify(version.definition),
                created_at: at,
                updated_at: at,
                deployed_at: null,
              }),
            );
            flowPatch.draft_version_id = draftId;
          }
        }
        db.execute(k.updateTable('flows').set(flowPatch).where('id', '=', version.flowId));
        return readVersion(companyId, versionId);
      });
    },

    async copyToDraft(companyId, versionId) {
      return db.write(() => {
        const version = readVersion(companyId, versionId);
        if (version === undefined) return undefined;
        const draft = readDraft(version.flowId);
        if (draft.id === version.id) return draft;
        const at = nowIso();
        db.execute(
          k
            .updateTable('flow_versions')
            .set({ definition: JSON.stringify(version.definition), updated_at: at })
            .where('id', '=', draft.id),
        );
        touchFlow(version.flowId, at);
        return readDraft(version.flowId);
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

/** Page numbers start at 1; out-of-range values are clamped rather than refused (the HTTP layer validates). */
export function pageWindow(page: { page: number; perPage: number }): { limit: number; offset: number } {
  const limit = Math.max(1, Math.floor(page.perPage));
  const offset = (Math.max(1, Math.floor(page.page)) - 1) * limit;
  return { limit, offset };
}
