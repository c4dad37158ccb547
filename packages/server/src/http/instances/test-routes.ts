import { setTimeout as delay } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { createHttpClient, testConnection } from '@weft/engine';
import { AppError } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { loadCredentialCipher } from '../../crypto/credentials.js';
import { createDatabaseClient } from '../../database/database-client.js';
import { createConnectorResolver } from '../../worker/connector-resolver.js';
import { authMethodKey } from '../connectors/schema.js';
import { notFound } from '../errors.js';

const InstanceId = Type.Object({ instanceId: Type.String({ minLength: 1, maxLength: 64 }) });
const TestBody = Type.Object(
  {
    /** The endpoint to call; the connector's first receive endpoint when absent. */
    endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** `POST /api/v1/instances/{id}/test`: one request to an endpoint with the instance's credentials; ok, or the error and status. */
export async function instanceTestRoutes(app: FastifyInstance, config: Config, { store }: AppDeps): Promise<void> {
  const cipher = await loadCredentialCipher(store, config);
  const http = createHttpClient({ allow: config.egressAllow });
  app.addHook('onClose', () => http.close());
  // Database instances are tested with a query of their receive endpoint, on pools of their own.
  const databases = createDatabaseClient({ allow: config.egressAllow, poolSize: 1 });
  app.addHook('onClose', () => databases.close());
  // No cache: a test right after new credentials were saved must use them.
  const connectors = createConnectorResolver({ store, cipher, ttlMs: 0 });
  const services = {
    http,
    databases,
    now: () => new Date(),
    sleep: (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }),
    connectors,
  };

  app.post(
    '/api/v1/instances/:instanceId/test',
    {
      config: { access: 'write' },
      schema: {
        tags: ['instances'],
        summary: 'Test an instance: call an endpoint (default: the first receive endpoint) once and answer ok or the error, never a secret',
        params: InstanceId,
        body: Type.Optional(TestBody),
      },
    },
    async (request) => {
      const companyId = request.auth.companyId;
      const { instanceId } = request.params as { instanceId: string };
      const body = (request.body ?? {}) as { endpoint?: string };
      const instance = await store.getInstance(companyId, instanceId);
      if (!instance) throw notFound('Instance');
      const connector = await store.getConnector(companyId, instance.connectorId);
      if (!connector) throw notFound('Instance');
      const names = connector.endpoints.map((e) => String(e.name));
      let endpoint = body.endpoint;
      if (endpoint !== undefined && !names.includes(endpoint)) {
        throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
          details: { endpoint: [names.length === 0 ? 'the connector has no endpoints' : `must be one of ${names.join(', ')}`] },
        });
      }
      if (endpoint === undefined) {
        // Only a receive endpoint is chosen by itself: a test must not create or change data at the target.
        endpoint = connector.endpoints.find((e) => e.direction === 'receive')?.name as string | undefined;
        const method = connector.authMethods.find((m) => authMethodKey(m) === instance.authMethod);
        if (endpoint === undefined && method?.type === 'oauth2_client_credentials') {
          // Nothing safe to call, but the token request alone shows whether the client credentials work.
          const result = await testConnection(services, { companyId, instanceId });
          return { data: { ...result, endpoint: null } };
        }
        if (endpoint === undefined) {
          throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
            details: { endpoint: ['the connector has no receive endpoint to test with; name the endpoint to call'] },
          });
        }
      }
      const result = await testConnection(services, { companyId, instanceId, endpoint });
      return { data: { ...result, endpoint } };
    },
  );
}
