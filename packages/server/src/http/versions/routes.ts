import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { notFound } from '../errors.js';
import { assertValidDefinition } from '../flows/routes.js';
import { versionJson } from '../flows/serialize.js';

const VersionId = Type.Object({ versionId: Type.String({ minLength: 1, maxLength: 64 }) });

export async function versionRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get('/api/v1/flow-versions/:versionId', { config: { access: 'read' }, schema: { tags: ['flows'], summary: 'Get a version with its definition', params: VersionId } }, async (request) => {
    const { versionId } = request.params as { versionId: string };
    const version = await store.getVersion(request.auth.companyId, versionId);
    if (!version) throw notFound('Flow version');
    return { data: versionJson(version, true) };
  });

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
        body: Type.Optional(Type.Object({ enable: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
      },
    },
    async (request) => {
      const { versionId } = request.params as { versionId: string };
      const existing = await store.getVersion(request.auth.companyId, versionId);
      if (!existing) throw notFound('Flow version');
      assertValidDefinition(existing.definition);
      const body = (request.body ?? {}) as { enable?: boolean };
      const version = await store.deployVersion(request.auth.companyId, versionId, { enable: body.enable });
      if (!version) throw notFound('Flow version');
      return { data: versionJson(version, true) };
    },
  );

  app.post(
    '/api/v1/flow-versions/:versionId/copy-to-draft',
    { config: { access: 'write' }, schema: { tags: ['flows'], summary: 'Replace the draft with a copy of this version', params: VersionId } },
    async (request) => {
      const { versionId } = request.params as { versionId: string };
      const draft = await store.copyToDraft(request.auth.companyId, versionId);
      if (!draft) throw notFound('Flow version');
      return { data: versionJson(draft, true) };
    },
  );
}
