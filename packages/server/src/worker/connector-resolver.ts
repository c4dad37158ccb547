import type {
  ConnectorResolver,
  EndpointPagination,
  EndpointParam,
  EndpointRateLimit,
  ResolvedEndpoint,
  ResolvedEndpointDefinition,
} from '@weft/engine';
import { AppError } from '@weft/schema';
import type { CredentialCipher } from '../crypto/credentials.js';
import { authMethodKey } from '../http/connectors/schema.js';
import type { Connector, Instance, Store } from '../store/types.js';
import { databaseEndpoint } from './database-endpoint.js';

/**
 * Long enough that a run paging through an API or sending a bucket of payloads reads the store
 * and decrypts once, short enough that an edited instance (new credentials) is used within moments.
 */
export const DEFAULT_RESOLVER_TTL_MS = 10_000;

export interface ConnectorResolverOptions {
  store: Store;
  cipher: CredentialCipher;
  ttlMs?: number;
  now?: () => number;
}

interface CachedInstance {
  expiresAt: number;
  connector: Connector;
  instance: Instance;
  credentials: Record<string, string>;
}

/** The engine's `connectors` port: an instance's endpoint with its variables applied and its credentials decrypted. */
export function createConnectorResolver(options: ConnectorResolverOptions): ConnectorResolver & { clear(): void } {
  const { store, cipher } = options;
  const ttlMs = options.ttlMs ?? DEFAULT_RESOLVER_TTL_MS;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedInstance>();

  async function load(companyId: string, instanceId: string): Promise<CachedInstance> {
    const key = `${companyId}\u0000${instanceId}`;
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAt > now()) return cached;
    const instance = await store.getInstance(companyId, instanceId);
    if (instance === undefined)
      throw new AppError('NOT_FOUND', `instance ${JSON.stringify(instanceId)} does not exist`, { retryable: false });
    const connector = await store.getConnector(companyId, instance.connectorId);
    if (connector === undefined) {
      throw new AppError('NOT_FOUND', `the connector of instance ${JSON.stringify(instance.name)} no longer exists`, { retryable: false });
    }
    const ciphertext = await store.getInstanceSecret(companyId, instanceId);
    // The company id is the ciphertext's associated data: another company's row would not open.
    const credentials = typeof ciphertext === 'string' ? cipher.decrypt(ciphertext, companyId) : {};
    const entry = { expiresAt: now() + ttlMs, connector, instance, credentials };
    cache.set(key, entry);
    return entry;
  }

  const secretOf = async (companyId: string, instanceId: string) => {
    const ciphertext = await store.getInstanceSecret(companyId, instanceId);
    return typeof ciphertext === 'string' ? { ciphertext, credentials: cipher.decrypt(ciphertext, companyId) } : undefined;
  };

  return {
    clear: () => cache.clear(),
    async reserveSlot(companyId, instanceId, bucket, limit, nowMs) {
      // Evenly spaced, without a burst: N per W then holds in every window of W, which is what
      // providers with sliding windows count. The bucket is the instance's (its own account there).
      const intervalMs = Math.ceil((limit.per_seconds * 1000) / limit.requests);
      return store.reserveRateSlot(companyId, `${instanceId}:${bucket}`, intervalMs, intervalMs, Math.round(nowMs));
    },
    async resolveAuth(companyId, instanceId): Promise<ResolvedEndpoint> {
      const { connector, instance, credentials } = await load(companyId, instanceId);
      const variables: Record<string, string> = {};
      for (const [name, variable] of Object.entries(connector.variables))
        if (variable.default !== undefined) variables[name] = variable.default;
      Object.assign(variables, instance.variables);
      return {
        connectorId: connector.id,
        instanceId: instance.id,
        baseUrl: fillBaseUrl(connector, instance, variables),
        variables,
        endpoint: { name: '(auth only)', method: 'GET', path: '', query: {}, headers: {}, data_type: 'json', direction: 'receive' },
        auth: authOf(connector, instance, credentials),
      };
    },
    async deferSlot(companyId, instanceId, bucket, untilMs) {
      await store.deferRateSlot(companyId, `${instanceId}:${bucket}`, untilMs);
    },
    async freshCredentials(companyId, instanceId) {
      return (await secretOf(companyId, instanceId))?.credentials ?? {};
    },
    async saveCredentials(companyId, instanceId, fields) {
      // Compare-and-set, so a concurrent edit of the instance is merged into rather than overwritten.
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await secretOf(companyId, instanceId);
        if (current === undefined) return;
        const next = cipher.encrypt({ ...current.credentials, ...fields }, companyId);
        if (await store.replaceInstanceSecret(companyId, instanceId, current.ciphertext, next)) {
          cache.delete(`${companyId}\u0000${instanceId}`);
          return;
        }
      }
      throw new AppError(
        'CONFLICT',
        `the credentials of instance ${JSON.stringify(instanceId)} kept changing while renewed tokens were saved`,
      );
    },
    async resolve(companyId, instanceId, endpointName): Promise<ResolvedEndpoint> {
      const { connector, instance, credentials } = await load(companyId, instanceId);
      const endpoint = connector.endpoints.find((e) => e.name === endpointName);
      if (endpoint === undefined) {
        const known = connector.endpoints.map((e) => String(e.name));
        throw new AppError(
          'NOT_FOUND',
          `connector ${JSON.stringify(connector.name)} has no endpoint ${JSON.stringify(endpointName)}; ${known.length === 0 ? 'it has no endpoints' : `its endpoints: ${known.join(', ')}`}`,
          { retryable: false },
        );
      }
      const variables: Record<string, string> = {};
      for (const [name, variable] of Object.entries(connector.variables))
        if (variable.default !== undefined) variables[name] = variable.default;
      Object.assign(variables, instance.variables);

      const baseUrl = fillBaseUrl(connector, instance, variables);
      const auth = authOf(connector, instance, credentials);
      const common = { connectorId: connector.id, instanceId: instance.id, baseUrl, variables, auth };
      if (connector.protocol !== 'http') return { ...common, ...databaseEndpoint(connector, instance, endpoint, baseUrl, auth) };
      return { ...common, endpoint: endpointDefinition(endpoint) };
    },
  };
}

function fillBaseUrl(connector: Connector, instance: Instance, variables: Record<string, string>): string {
  return connector.baseUrl.replace(/\{\{\s*([^}\s]*)\s*\}\}/g, (_whole, name: string) => {
    const value = variables[name];
    if (value === undefined) {
      throw new AppError(
        'STEP_FAILED',
        `instance ${JSON.stringify(instance.name)} sets no value for variable "${name}" of the base URL of connector ${JSON.stringify(connector.name)}`,
        { retryable: false },
      );
    }
    return value;
  });
}

function authOf(connector: Connector, instance: Instance, credentials: Record<string, string>): ResolvedEndpoint['auth'] {
  if (instance.authMethod === null) return { type: 'none', credentials: {}, settings: {} };
  const method = connector.authMethods.find((m) => authMethodKey(m) === instance.authMethod);
  if (method === undefined) {
    throw new AppError(
      'STEP_FAILED',
      `instance ${JSON.stringify(instance.name)} uses auth method "${instance.authMethod}", which connector ${JSON.stringify(connector.name)} no longer has`,
      { retryable: false },
    );
  }
  return { type: method.type as ResolvedEndpoint['auth']['type'], credentials, settings: method };
}

/** The connector API validated the endpoint (http/connectors/schema.ts); this only gives it its static type. */
function endpointDefinition(endpoint: Record<string, unknown>): ResolvedEndpointDefinition {
  return {
    name: String(endpoint.name),
    method: endpoint.method as ResolvedEndpointDefinition['method'],
    path: typeof endpoint.path === 'string' ? endpoint.path : '',
    query: (endpoint.query as Record<string, EndpointParam> | undefined) ?? {},
    headers: (endpoint.headers as Record<string, EndpointParam> | undefined) ?? {},
    ...(typeof endpoint.body === 'string' ? { body: endpoint.body } : {}),
    data_type: (endpoint.data_type as ResolvedEndpointDefinition['data_type'] | undefined) ?? 'json',
    direction: (endpoint.direction as ResolvedEndpointDefinition['direction'] | undefined) ?? 'send',
    ...(endpoint.pagination === undefined ? {} : { pagination: endpoint.pagination as EndpointPagination }),
    ...(endpoint.rate_limit === undefined ? {} : { rate_limit: endpoint.rate_limit as EndpointRateLimit }),
  };
}
