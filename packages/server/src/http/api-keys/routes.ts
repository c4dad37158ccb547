import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { FullAuthService } from '../../auth/service.js';
import type { Config } from '../../config/index.js';
import type { ApiKey, Store } from '../../store/types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery } from '../pagination.js';
import { listResponse } from '../users/serialize.js';

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** What lists and revokes show: never the key, never its hash. */
const ApiKeyJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it by.' }),
  created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()], { description: 'Updated at most once a minute.' }),
  revoked_at: NullableTimestamp,
});

const CreatedApiKeyJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  key: Type.String({ description: 'The key itself; shown only in this response.' }),
  created_at: Timestamp,
});

const CreateBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'What the key is for, e.g. "warehouse".' }) },
  { additionalProperties: false },
);
const KeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

function apiKeyJson(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt,
    last_used_at: key.lastUsedAt,
    revoked_at: key.revokedAt,
  };
}

/** The company's API keys: created with the key shown once, listed without it, revoked or deleted. */
export async function apiKeyRoutes(
  app: FastifyInstance,
  _config: Config,
  { store, auth }: { store: Store; auth: FullAuthService },
): Promise<void> {
  app.post(
    '/api/v1/api-keys',
    {
      config: { access: 'write' },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key',
        description:
          'The key is in this response and nowhere else: it is stored only as a hash. It acts for the company with manager rights until revoked.',
        body: CreateBody,
        response: { 201: Type.Object({ data: CreatedApiKeyJson }) },
      },
    },
    async (request, reply) => {
      const { name } = request.body as Static<typeof CreateBody>;
      const { apiKey, key } = await auth.createApiKey(request.auth.companyId, name);
      await recordAudit(store, request, {
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: apiKey.id,
        data: { name: apiKey.name, prefix: apiKey.prefix },
      });
      return reply
        .status(201)
        .send({ data: { id: apiKey.id, name: apiKey.name, prefix: apiKey.prefix, key, created_at: apiKey.createdAt } });
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: { access: 'read' },
      schema: {
        tags: ['api-keys'],
        summary: 'List API keys',
        description: 'Names, prefixes and dates; the keys themselves cannot be shown again.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
        response: { 200: listResponse(ApiKeyJson) },
      },
    },
    async (request) => {
      const query = request.query as { page?: number; per_page?: number };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const keys = await store.listApiKeys(request.auth.companyId);
      return listEnvelope(request, keys.slice((page - 1) * perPage, page * perPage).map(apiKeyJson), keys.length, page, perPage);
    },
  );

  app.post(
    '/api/v1/api-keys/:id/revoke',
    {
      config: { access: 'write' },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        description: 'The key stops working at once and stays in the list with its revoked_at. Revoking twice is harmless.',
        params: KeyParams,
        response: { 200: Type.Object({ data: ApiKeyJson }) },
      },
    },
    async (request) => {
      const { id } = request.params as Static<typeof KeyParams>;
      const key = await store.revokeApiKey(request.auth.companyId, id);
      if (!key) throw notFound('API key');
      await recordAudit(store, request, { action: 'api_key.revoked', targetType: 'api_key', targetId: key.id, data: { name: key.name } });
      return { data: apiKeyJson(key) };
    },
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: { access: 'write' },
      schema: {
        tags: ['api-keys'],
        summary: 'Delete an API key',
        description: 'The key stops working and leaves the list.',
        params: KeyParams,
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof KeyParams>;
      if (!(await store.deleteApiKey(request.auth.companyId, id))) throw notFound('API key');
      await recordAudit(store, request, { action: 'api_key.deleted', targetType: 'api_key', targetId: id });
      return reply.status(204).send();
    },
  );
}
