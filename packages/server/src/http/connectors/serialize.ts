import type { Connector, Instance } from '../../store/types.js';

export function connectorJson(connector: Connector) {
  return {
    id: connector.id,
    name: connector.name,
    protocol: connector.protocol,
    base_url: connector.baseUrl,
    variables: connector.variables,
    auth_methods: connector.authMethods,
    endpoints: connector.endpoints,
    created_at: connector.createdAt,
    updated_at: connector.updatedAt,
  };
}

/** Credentials are write-only: only whether they are set, and their field names, are shown. */
export function instanceJson(instance: Instance) {
  return {
    id: instance.id,
    connector_id: instance.connectorId,
    name: instance.name,
    variables: instance.variables,
    auth_method: instance.authMethod,
    credentials_set: instance.credentialsSet,
    credential_fields: instance.credentialFields,
    created_at: instance.createdAt,
    updated_at: instance.updatedAt,
  };
}
