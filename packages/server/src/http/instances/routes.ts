import { Type } from '@sinclair/typebox';
import { AppError, type FieldErrors } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { type CredentialCipher, loadCredentialCipher } from '../../crypto/credentials.js';
import type { Connector, InstancePatch, SealedCredentials } from '../../store/types.js';
import { recordAudit } from '../audit-logs/record.js';
import { type AuthType, addFieldError, authMethodKey, credentialFieldsFor, MANAGED_CREDENTIAL_FIELDS } from '../connectors/schema.js';
import { instanceJson } from '../connectors/serialize.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery } from '../pagination.js';

const InstanceId = Type.Object({ instanceId: Type.String({ minLength: 1, maxLength: 64 }) });
const Variables = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: 10_000 }), { maxProperties: 100 });
const Credentials = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.String({ maxLength: 20_000 }), { maxProperties: 50 });
const AuthMethod = Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]);

const CreateBody = Type.Object(
  {
    connector_id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    variables: Type.Optional(Variables),
    auth_method: Type.Optional(AuthMethod),
    credentials: Type.Optional(Credentials),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    variables: Type.Optional(Variables),
    auth_method: Type.Optional(AuthMethod),
    /** null removes the stored credentials. */
    credentials: Type.Optional(Type.Union([Credentials, Type.Null()])),
  },
  { additionalProperties: false },
);

interface InstanceState {
  variables: Record<string, string>;
  authMethod: string | null;
  /** Field names of the credentials the instance will hold. */
  credentialFields: string[];
  /** Whether this request gives the credentials (rather than keeping the stored ones). */
  credentialsGiven: boolean;
}

/** Checks an instance against its connector: known variables, a known auth method, the credential fields it needs. */
function assertFitsConnector(connector: Connector, state: InstanceState): void {
  const errors: FieldErrors = {};
  const add = (key: string, message: string) => addFieldError(errors, key, message);
  for (const name of Object.keys(state.variables)) {
    if (!(name in connector.variables)) add(`variables.${name}`, 'is not a variable of the connector');
  }
  const method = state.authMethod === null ? undefined : connector.authMethods.find((m) => authMethodKey(m) === state.authMethod);
  if (state.authMethod !== null && method === undefined) {
    const known = connector.authMethods.map(authMethodKey);
    add('auth_method', known.length === 0 ? 'the connector has no auth methods' : `must be one of ${known.join(', ')}`);
  }
  if (state.credentialFields.length > 0 || state.credentialsGiven) {
    if (state.authMethod === null) add('credentials', 'need an auth_method');
    else if (method !== undefined) {
      const wanted = credentialFieldsFor(method);
      const where = state.credentialsGiven ? 'credentials' : 'auth_method';
      const missing = wanted.filter((f) => !state.credentialFields.includes(f));
      // Tokens Weft stored itself (OAuth 2 authorisation code) are no stray fields; given through the API they are.
      const managed = state.credentialsGiven ? [] : (MANAGED_CREDENTIAL_FIELDS[method.type as AuthType] ?? []);
      const extra = state.credentialFields.filter((f) => !wanted.includes(f) && !managed.includes(f));
      if (missing.length > 0) add(where, `${state.authMethod} needs the credential fields ${missing.join(', ')}`);
      for (const f of extra) add(state.credentialsGiven ? `credentials.${f}` : where, `is not a credential field of ${state.authMethod}`);
    }
  }
  if (Object.keys(errors).length > 0) throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: errors });
}

/** Encrypts before anything reaches the store: the store only ever holds the ciphertext. */
function seal(cipher: CredentialCipher, companyId: string, credentials: Record<string, string>): SealedCredentials {
  return { ciphertext: cipher.encrypt(credentials, companyId), fields: Object.keys(credentials).sort() };
}

export async function instanceRoutes(app: FastifyInstance, config: Config, { store }: AppDeps): Promise<void> {
  const cipher = await loadCredentialCipher(store, config);

  app.get(
    '/api/v1/instances',
    {
      config: { access: 'read' },
      schema: {
        tags: ['instances'],
        summary: 'List instances; filter[connector_id] narrows to one connector',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const connectorId = query['filter[connector_id]'];
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listInstances(request.auth.companyId, typeof connectorId === 'string' ? { connectorId } : {}, {
        page,
        perPage,
      });
      return listEnvelope(request, result.rows.map(instanceJson), result.total, page, perPage);
    },
  );

  app.post(
    '/api/v1/instances',
    { config: { access: 'write' }, schema: { tags: ['instances'], summary: 'Create an instance of a connector', body: CreateBody } },
    async (request, reply) => {
      const companyId = request.auth.companyId;
      const body = request.body as {
        connector_id: string;
        name: string;
        variables?: Record<string, string>;
        auth_method?: string | null;
        credentials?: Record<string, string>;
      };
      const connector = await store.getConnector(companyId, body.connector_id);
      if (!connector) {
        throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: { connector_id: ['does not exist'] } });
      }
      const variables = body.variables ?? {};
      const authMethod = body.auth_method ?? null;
      assertFitsConnector(connector, {
        variables,
        authMethod,
        credentialFields: Object.keys(body.credentials ?? {}),
        credentialsGiven: body.credentials !== undefined,
      });
      const instance = await store.createInstance(companyId, {
        connectorId: connector.id,
        name: body.name,
        variables,
        authMethod,
        credentials: body.credentials === undefined ? null : seal(cipher, companyId, body.credentials),
      });
      if (body.credentials !== undefined) {
        await recordAudit(store, request, {
          action: 'instance.credentials_changed',
          targetType: 'instance',
          targetId: instance.id,
          data: { fields: instance.credentialFields },
        });
      }
      return reply.status(201).send({ data: instanceJson(instance) });
    },
  );

  app.get(
    '/api/v1/instances/:instanceId',
    { config: { access: 'read' }, schema: { tags: ['instances'], summary: 'Get an instance (never its credentials)', params: InstanceId } },
    async (request) => {
      const { instanceId } = request.params as { instanceId: string };
      const instance = await store.getInstance(request.auth.companyId, instanceId);
      if (!instance) throw notFound('Instance');
      return { data: instanceJson(instance) };
    },
  );

  app.patch(
    '/api/v1/instances/:instanceId',
    {
      config: { access: 'write' },
      schema: { tags: ['instances'], summary: 'Change an instance; credentials are replaced whole', params: InstanceId, body: PatchBody },
    },
    async (request) => {
      const companyId = request.auth.companyId;
      const { instanceId } = request.params as { instanceId: string };
      const body = request.body as {
        name?: string;
        variables?: Record<string, string>;
        auth_method?: string | null;
        credentials?: Record<string, string> | null;
      };
      const current = await store.getInstance(companyId, instanceId);
      if (!current) throw notFound('Instance');
      const connector = await store.getConnector(companyId, current.connectorId);
      if (!connector) throw notFound('Instance');
      const credentialsGiven = body.credentials !== undefined && body.credentials !== null;
      assertFitsConnector(connector, {
        variables: body.variables ?? current.variables,
        authMethod: body.auth_method === undefined ? current.authMethod : body.auth_method,
        credentialFields:
          body.credentials === undefined ? current.credentialFields : body.credentials === null ? [] : Object.keys(body.credentials),
        credentialsGiven,
      });
      const patch: InstancePatch = {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.variables !== undefined && { variables: body.variables }),
        ...(body.auth_method !== undefined && { authMethod: body.auth_method }),
        ...(body.credentials !== undefined && {
          credentials: body.credentials === null ? null : seal(cipher, companyId, body.credentials),
        }),
      };
      const instance = await store.updateInstance(companyId, instanceId, patch);
      if (!instance) throw notFound('Instance');
      if (body.credentials !== undefined) {
        // The field names only: the values are the secret.
        await recordAudit(store, request, {
          action: 'instance.credentials_changed',
          targetType: 'instance',
          targetId: instance.id,
          data: { fields: instance.credentialFields, removed: body.credentials === null },
        });
      }
      return { data: instanceJson(instance) };
    },
  );

  app.delete(
    '/api/v1/instances/:instanceId',
    { config: { access: 'write' }, schema: { tags: ['instances'], summary: 'Delete an instance and its credentials', params: InstanceId } },
    async (request, reply) => {
      const { instanceId } = request.params as { instanceId: string };
      if (!(await store.deleteInstance(request.auth.companyId, instanceId))) throw notFound('Instance');
      return reply.status(204).send();
    },
  );
}
