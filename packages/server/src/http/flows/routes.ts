import { Type } from '@sinclair/typebox';
import { AppError, type FlowDefinition, validateDefinition } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { Connector } from '../../store/types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';
import {
  type ConnectorImportReport,
  checkConnectorBundle,
  type ExportedConnector,
  type ExportedInstance,
  exportConnectors,
  importConnectors,
} from './connector-bundle.js';
import { flowJson, versionJson } from './serialize.js';

/** A new flow starts from this definition when none is given: a trigger and nothing else. */
export const EMPTY_DEFINITION: FlowDefinition = { steps: [{ id: 'trigger', shape: 'trigger', config: {} }], edges: [] };

const Labels = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 });
const FlowId = Type.Object({ flowId: Type.String({ minLength: 1, maxLength: 64 }) });

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    definition: Type.Optional(Type.Object({}, { additionalProperties: true })),
    labels: Type.Optional(Labels),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    enabled: Type.Optional(Type.Boolean()),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);

/** Validates a definition and refuses it with one `errors` entry per problem (api.md §3). */
export function assertValidDefinition(definition: unknown, prefix = 'definition'): FlowDefinition {
  const errors = validateDefinition(definition);
  const paths = Object.keys(errors);
  if (paths.length > 0) {
    const details: Record<string, string[]> = {};
    for (const path of paths) details[prefix ? `${prefix}.${path}` : path] = errors[path]!;
    throw new AppError('FLOW_INVALID', `The flow definition is invalid (${paths.length} problem${paths.length === 1 ? '' : 's'}).`, {
      details,
    });
  }
  return definition as FlowDefinition;
}

function bool(values: string[] | undefined, name: string): boolean | undefined {
  const v = values?.[0];
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: { [`filter[${name}]`]: ['must be true or false'] } });
}

export async function flowRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/flows',
    {
      config: { access: 'read' },
      schema: { tags: ['flows'], summary: 'List flows', querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }) },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const f = { ...readFilters(query) };
      for (const key of ['name', 'enabled', 'deployed', 'label'] as const)
        if (typeof query[key] === 'string') f[key] = [query[key] as string];
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listFlows(
        request.auth.companyId,
        { name: f.name?.[0], enabled: bool(f.enabled, 'enabled'), deployed: bool(f.deployed, 'deployed'), label: f.label?.[0] },
        { page, perPage },
      );
      return listEnvelope(request, result.rows.map(flowJson), result.total, page, perPage);
    },
  );

  app.post(
    '/api/v1/flows',
    { config: { access: 'write' }, schema: { tags: ['flows'], summary: 'Create a flow and its draft', body: CreateBody } },
    async (request, reply) => {
      const body = request.body as { name: string; description?: string; definition?: unknown; labels?: string[]; priority?: number };
      const definition = body.definition === undefined ? EMPTY_DEFINITION : assertValidDefinition(body.definition);
      const flow = await store.createFlow(request.auth.companyId, { ...body, definition });
      return reply.status(201).send({ data: flowJson(flow) });
    },
  );

  app.get(
    '/api/v1/flows/:flowId',
    { config: { access: 'read' }, schema: { tags: ['flows'], summary: 'Get a flow', params: FlowId } },
    async (request) => {
      const { flowId } = request.params as { flowId: string };
      const flow = await store.getFlow(request.auth.companyId, flowId);
      if (!flow) throw notFound('Flow');
      return { data: flowJson(flow) };
    },
  );

  app.patch(
    '/api/v1/flows/:flowId',
    { config: { access: 'write' }, schema: { tags: ['flows'], summary: 'Change a flow', params: FlowId, body: PatchBody } },
    async (request) => {
      const { flowId } = request.params as { flowId: string };
      const flow = await store.updateFlow(request.auth.companyId, flowId, request.body as Record<string, never>);
      if (!flow) throw notFound('Flow');
      const { enabled } = request.body as { enabled?: boolean };
      if (enabled !== undefined) {
        await recordAudit(store, request, { action: enabled ? 'flow.enabled' : 'flow.disabled', targetType: 'flow', targetId: flow.id });
      }
      return { data: flowJson(flow) };
    },
  );

  app.delete(
    '/api/v1/flows/:flowId',
    { config: { access: 'write' }, schema: { tags: ['flows'], summary: 'Delete a flow', params: FlowId } },
    async (request, reply) => {
      const { flowId } = request.params as { flowId: string };
      if (!(await store.deleteFlow(request.auth.companyId, flowId))) throw notFound('Flow');
      await recordAudit(store, request, { action: 'flow.deleted', targetType: 'flow', targetId: flowId });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/flows/:flowId/versions',
    { config: { access: 'read' }, schema: { tags: ['flows'], summary: 'List versions, newest first', params: FlowId } },
    async (request) => {
      const { flowId } = request.params as { flowId: string };
      const flow = await store.getFlow(request.auth.companyId, flowId);
      if (!flow) throw notFound('Flow');
      const versions = await store.listVersions(request.auth.companyId, flowId);
      return { data: versions.map((v) => versionJson(v, false)) };
    },
  );

  app.get(
    '/api/v1/flows/:flowId/export',
    { config: { access: 'read' }, schema: { tags: ['flows'], summary: 'Export a flow with its versions', params: FlowId } },
    async (request) => {
      const { flowId } = request.params as { flowId: string };
      const flow = await store.getFlow(request.auth.companyId, flowId);
      if (!flow) throw notFound('Flow');
      const versions = await store.listVersions(request.auth.companyId, flowId);
      // The connectors its steps use go along (never credentials); instances only by name.
      return { ...exportDocument(flow, versions), ...(await exportConnectors(store, request.auth.companyId, versions)) };
    },
  );

  app.post(
    '/api/v1/flows/import',
    { config: { access: 'write' }, schema: { tags: ['flows'], summary: 'Import an exported flow as a new flow', body: ImportBody } },
    async (request, reply) => {
      const outcome: ImportOutcome = {};
      const flow = await importFlow(store, request.auth.companyId, request.body as ImportDocument, outcome);
      for (const connector of outcome.createdConnectors ?? []) {
        await recordAudit(store, request, {
          action: 'connector.imported',
          targetType: 'connector',
          targetId: connector.id,
          data: { source: 'flow import', flow_id: flow.id },
        });
      }
      await recordAudit(store, request, {
        action: 'flow.imported',
        targetType: 'flow',
        targetId: flow.id,
        data: { name: flow.name, deployed: flow.deployedVersionId !== null, connectors_created: outcome.createdConnectors?.length ?? 0 },
      });
      const meta = outcome.report === undefined ? {} : { meta: outcome.report };
      return reply.status(201).send({ data: flowJson(flow), ...meta });
    },
  );
}

export const EXPORT_FORMAT = 'weft.flow/v1';

const ImportBody = Type.Object(
  {
    format: Type.Optional(Type.Literal(EXPORT_FORMAT)),
    exported_at: Type.Optional(Type.String()),
    flow: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        description: Type.Optional(Type.String({ maxLength: 5000 })),
        labels: Type.Optional(Labels),
        priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
      },
      { additionalProperties: true },
    ),
    versions: Type.Optional(
      Type.Array(
        Type.Object(
          { status: Type.Optional(Type.String()), definition: Type.Object({}, { additionalProperties: true }) },
          { additionalProperties: true },
        ),
        { maxItems: 1000 },
      ),
    ),
    definition: Type.Optional(Type.Object({}, { additionalProperties: true })),
    connectors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 100 })),
    instances: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 500 })),
  },
  { additionalProperties: false },
);

export interface ImportDocument {
  format?: string;
  flow: { name: string; description?: string; labels?: string[]; priority?: number };
  versions?: Array<{ status?: string; definition: unknown }>;
  /** A bare definition is accepted too, as the example flows are written. */
  definition?: unknown;
  connectors?: ExportedConnector[];
  instances?: ExportedInstance[];
}

/** What an import did besides the flow: the connectors it matched or created, the instances to create. */
export interface ImportOutcome {
  report?: ConnectorImportReport;
  createdConnectors?: Connector[];
}

export function exportDocument(flow: import('../../store/types.js').Flow, versions: import('../../store/types.js').FlowVersion[]) {
  return {
    format: EXPORT_FORMAT,
    exported_at: new Date().toISOString(),
    flow: { name: flow.name, description: flow.description, labels: flow.labels, priority: flow.priority, enabled: flow.enabled },
    versions: versions.map((v) => ({ number: v.number, status: v.status, definition: withoutSecrets(v.definition) })),
    connectors: [],
  };
}

/**
 * The definition without its webhook trigger's `hmac_secret`: an export holds no secrets (spec
 * api.md), and the document is made to be handed around. The imported flow's trigger needs the
 * secret set again, as its instances need their credentials.
 */
function withoutSecrets(definition: FlowDefinition): FlowDefinition {
  return {
    ...definition,
    steps: definition.steps.map((step) => {
      const webhook = step.config.webhook as Record<string, unknown> | undefined;
      if (step.shape !== 'trigger' || typeof webhook !== 'object' || webhook === null || !('hmac_secret' in webhook)) return step;
      const { hmac_secret: _secret, ...rest } = webhook;
      return { ...step, config: { ...step.config, webhook: rest } };
    }),
  };
}

/**
 * An import creates a new flow whose draft is the exported draft (or the newest version), and
 * deploys the exported deployed version when there was one, so the flow behaves as it did.
 */
export async function importFlow(
  store: import('../../store/types.js').Store,
  companyId: string,
  doc: ImportDocument,
  outcome: ImportOutcome = {},
) {
  const versions = doc.versions ?? (doc.definition !== undefined ? [{ status: 'draft', definition: doc.definition }] : []);
  if (versions.length === 0) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { versions: ['must hold at least one version (or give definition)'] },
    });
  }
  const deployed = versions.find((v) => v.status === 'deployed');
  const draft = versions.find((v) => v.status === 'draft') ?? versions[0]!;
  let draftDef = assertValidDefinition(draft.definition, `versions[${versions.indexOf(draft)}].definition`);
  let deployedDef = deployed ? assertValidDefinition(deployed.definition, `versions[${versions.indexOf(deployed)}].definition`) : undefined;
  if ((doc.connectors?.length ?? 0) > 0) {
    checkConnectorBundle(doc.connectors, doc.instances);
    const bundle = await importConnectors(store, companyId, doc.connectors ?? [], doc.instances ?? [], [
      draftDef,
      ...(deployedDef ? [deployedDef] : []),
    ]);
    draftDef = bundle.definitions[0] as FlowDefinition;
    if (deployedDef) deployedDef = bundle.definitions[1] as FlowDefinition;
    outcome.report = bundle.report;
    outcome.createdConnectors = bundle.created;
  }
  const flow = await store.createFlow(companyId, {
    name: doc.flow.name,
    description: doc.flow.description,
    labels: doc.flow.labels,
    priority: doc.flow.priority,
    definition: deployedDef ?? draftDef,
  });
  if (deployedDef) {
    await store.deployVersion(companyId, flow.draftVersionId, {});
    const after = await store.getFlow(companyId, flow.id);
    if (after) await store.updateDraft(companyId, after.draftVersionId, draftDef);
  }
  return (await store.getFlow(companyId, flow.id))!;
}
