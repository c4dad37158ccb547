import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery } from '../pagination.js';
import { assertConnector, ConnectorBody, type ConnectorBodyJson, ConnectorPatchBody } from './schema.js';
import { connectorJson } from './serialize.js';

const ConnectorId = Type.Object({ connectorId: Type.String({ minLength: 1, maxLength: 64 }) });

export async function connectorRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/connectors',
    {
      config: { access: 'read' },
      schema: {
        tags: ['connectors'],
        summary: 'List connectors',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as { page?: number; per_page?: number };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listConnectors(request.auth.companyId, { page, perPage });
      return listEnvelope(request, result.rows.map(connectorJson), result.total, page, perPage);
    },
  );

  app.post(
    '/api/v1/connectors',
    { config: { access: 'write' }, schema: { tags: ['connectors'], summary: 'Create a connector', body: ConnectorBody } },
    async (request, reply) => {
      const input = assertConnector(request.body as ConnectorBodyJson);
      const connector = await store.createConnector(request.auth.companyId, input);
      return reply.status(201).send({ data: connectorJson(connector) });
    },
  );

  app.get(
    '/api/v1/connectors/:connectorId',
    { config: { access: 'read' }, schema: { tags: ['connectors'], summary: 'Get a connector', params: ConnectorId } },
    async (request) => {
      const { connectorId } = request.params as { connectorId: string };
      const connector = await store.getConnector(request.auth.companyId, connectorId);
      if (!connector) throw notFound('Connector');
      return { data: connectorJson(connector) };
    },
  );

  app.patch(
    '/api/v1/connectors/:connectorId',
    {
      config: { access: 'write' },
      schema: { tags: ['connectors'], summary: 'Change a connector', params: ConnectorId, body: ConnectorPatchBody },
    },
    async (request) => {
      const { connectorId } = request.params as { connectorId: string };
      const current = await store.getConnector(request.auth.companyId, connectorId);
      if (!current) throw notFound('Connector');
      // The merged document is checked whole: a new protocol must fit the stored base URL and vice versa.
      const merged = assertConnector({ ...connectorJson(current), ...(request.body as Partial<ConnectorBodyJson>) });
      const connector = await store.updateConnector(request.auth.companyId, connectorId, merged);
      if (!connector) throw notFound('Connector');
      return { data: connectorJson(connector) };
    },
  );

  app.delete(
    '/api/v1/connectors/:connectorId',
    {
      config: { access: 'write' },
      schema: { tags: ['connectors'], summary: 'Delete a connector (refused with 409 while instances use it)', params: ConnectorId },
    },
    async (request, reply) => {
      const { connectorId } = request.params as { connectorId: string };
      if (!(await store.deleteConnector(request.auth.companyId, connectorId))) throw notFound('Connector');
      return reply.status(204).send();
    },
  );
}
