import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { recordAudit } from '../audit-logs/record.js';
import { importOpenApi } from './openapi-import.js';
import { assertConnector } from './schema.js';
import { connectorJson } from './serialize.js';

const ImportBody = Type.Object(
  {
    /** The OpenAPI 3.0/3.1 document: an object, or its JSON or YAML text. */
    document: Type.Union([Type.String({ minLength: 1 }), Type.Object({}, { additionalProperties: true })]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    base_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export async function connectorImportRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.post(
    '/api/v1/connectors/import/openapi',
    {
      config: { access: 'write' },
      schema: {
        tags: ['connectors'],
        summary: 'Create a connector with its endpoints and auth methods from an OpenAPI 3 document (JSON or YAML)',
        body: ImportBody,
      },
    },
    async (request, reply) => {
      const body = request.body as { document: unknown; name?: string; base_url?: string };
      const { connector: document, warnings } = await importOpenApi(body.document, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.base_url === undefined ? {} : { baseUrl: body.base_url }),
      });
      const connector = await store.createConnector(request.auth.companyId, assertConnector(document));
      await recordAudit(store, request, {
        action: 'connector.imported',
        targetType: 'connector',
        targetId: connector.id,
        data: { source: 'openapi', endpoints: connector.endpoints.length },
      });
      return reply.status(201).send({ data: connectorJson(connector), meta: { warnings } });
    },
  );
}
