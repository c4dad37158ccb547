import type { DatabaseParam, ResolvedAuth, ResolvedDatabase, ResolvedEndpointDefinition } from '@weft/engine';
import { AppError } from '@weft/schema';
import type { Connector, Instance } from '../store/types.js';

/**
 * A database connector's endpoint for the engine: the connection URL (base URL with the
 * instance's variables), the login from the instance's `basic` credentials, and the query.
 */
export function databaseEndpoint(
  connector: Connector,
  instance: Instance,
  endpoint: Record<string, unknown>,
  baseUrl: string,
  auth: ResolvedAuth,
): { endpoint: ResolvedEndpointDefinition; database: ResolvedDatabase } {
  if (connector.protocol === 'http') throw new Error('databaseEndpoint is for postgres and mysql connectors');
  if (auth.type !== 'none' && auth.type !== 'basic') {
    throw new AppError(
      'STEP_FAILED',
      `instance ${JSON.stringify(instance.name)} logs in to a database with auth method type "${auth.type}"; database connectors use "basic" (username and password) or "none"`,
      { retryable: false },
    );
  }
  const direction = endpoint.direction === 'receive' ? 'receive' : 'send';
  const name = String(endpoint.name);
  const { username, password } = auth.credentials;
  return {
    // Only the name and direction mean anything here; the shape takes the database branch.
    endpoint: { name, method: 'POST', path: '', query: {}, headers: {}, data_type: 'json', direction },
    database: {
      target: {
        key: instance.id,
        protocol: connector.protocol,
        url: baseUrl,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
      },
      endpoint: {
        name,
        direction,
        sql: String(endpoint.sql ?? ''),
        params: (endpoint.params as Record<string, DatabaseParam> | undefined) ?? {},
      },
    },
  };
}
