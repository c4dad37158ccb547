import { Type } from '@sinclair/typebox';
import { AppError } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { triggerConfigOf } from '../../store/trigger-config.js';
import { recordAudit } from '../audit-logs/record.js';
import { callbackUrl } from '../callbacks/routes.js';
import { notFound } from '../errors.js';
import { assertValidDefinition } from '../flows/routes.js';
import { versionJson } from '../flows/serialize.js';
import { webhookUrl } from '../webhooks/routes.js';
import { assertCompanyReferences } from './company-references.js';
import { assertRunFlowReferences } from './run-flow-references.js';

/** The deploy body is optional, which a route body schema cannot say, so it is checked here. */
function deployBody(body: unknown): { enable?: boolean } {
  if (body === undefined || body === null) return {};
  const details: Record<string, string[]> = {};
  if (typeof body !== 'object' || Array.isArray(body)) details.body = ['must be an object like {"enable": true}'];
  else {
    for (const key of Object.keys(body)) if (key !== 'enable') details[key] = [`unknown field "${key}"`];
    const enable = (body as { enable?: unknown }).enable;
    if (enable !== undefined && typeof enable !== 'boolean') details.enable = ['must be true or false'];
  }
  if (Object.keys(details).length > 0) throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details });
  return body as { enable?: boolean };
}

const VersionId = Type.Object({ versionId: Type.String({ minLength: 1, maxLength: 64 }) });

export async function versionRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/flow-versions/:versionId',
    { config: { access: 'read' }, schema: { tags: ['flows'], summary: 'Get a version with its definition', params: VersionId } },
    async (request) => {
      const { versionId } = request.params as { versionId: string };
      const version = await store.getVersion(request.auth.companyId, versionId);
      if (!version) throw notFound('Flow version');
      return { data: versionJson(version, true) };
    },
  );

  app.put(
    '/api/v1/flow-versions/:versionId',
    {
      config: { access: 'write' },
      schema: {
        tags: ['flows'],
        summary: 'Replace the draft definition',
        params: VersionId,
        body: Type.Object({ definition: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const { versionId } = request.params as { versionId: string };
      const existing = await store.getVersion(request.auth.companyId, versionId);
      if (!existing) throw notFound('Flow version');
      const definition = assertValidDefinition((request.body as { definition: unknown }).definition);
      await assertRunFlowReferences(store, existing, definition);
      const version = await store.updateDraft(request.auth.companyId, versionId, definition);
      if (!version) throw notFound('Flow version');
      return { data: versionJson(version, true) };
    },
  );

  app.post(
    '/api/v1/flow-versions/:versionId/deploy',
    {
      config: { access: 'write' },
      schema: {
        tags: ['flows'],
        summary: 'Validate and deploy a version',
        params: VersionId,
        description: 'Optional body `{"enable": true}` also enables the flow.',
      },
    },
    async (request) => {
      const { versionId } = request.params as { versionId: string };
      const existing = await store.getVersion(request.auth.companyId, versionId);
      if (!existing) throw notFound('Flow version');
      assertValidDefinition(existing.definition);
      await assertRunFlowReferences(store, existing, existing.definition);
      await assertCompanyReferences(store, request.auth.companyId, existing.definition);
      const body = deployBody(request.body);
      const version = await store.deployVersion(request.auth.companyId, versionId, { enable: body.enable });
      if (!version) throw notFound('Flow version');
      await recordAudit(store, request, {
        action: 'flow.deployed',
        targetType: 'flow_version',
        targetId: version.id,
        data: { flow_id: version.flowId, number: version.number, enable: body.enable === true },
      });
      // The first deploy with the webhook on makes its secret and shows it this once; later ones keep it.
      // The callback URL shares the webhook's secret.
      const trigger = triggerConfigOf(version.definition);
      if (trigger.webhook?.enabled === true || trigger.callback?.enabled === true) {
        const secret = await store.ensureWebhookSecret(request.auth.companyId, version.flowId);
        if (secret !== undefined)
          return {
            data: versionJson(version, true),
            webhook: { url: webhookUrl(request.auth.companyId, version.flowId, secret), secret },
            ...(trigger.callback?.enabled === true && {
              callback: { url: callbackUrl(request.auth.companyId, version.flowId, secret), secret },
            }),
          };
      }
      return { data: versionJson(version, true) };
    },
  );

  app.post(
    '/api/v1/flow-versions/:versionId/copy-to-draft',
    {
      config: { access: 'write' },
      schema: { tags: ['flows'], summary: 'Replace the draft with a copy of this version', params: VersionId },
    },
    async (request) => {
      const { versionId } = request.params as { versionId: string };
      const draft = await store.copyToDraft(request.auth.companyId, versionId);
      if (!draft) throw notFound('Flow version');
      return { data: versionJson(draft, true) };
    },
  );
}
