import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import type { Connector, ConnectorProtocol, Instance, Store } from '../types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';
import { statement } from './database.js';

type ConnectorMethods = Pick<
  Store,
  | 'createConnector'
  | 'getConnector'
  | 'listConnectors'
  | 'updateConnector'
  | 'deleteConnector'
  | 'createInstance'
  | 'getInstance'
  | 'getInstanceSecret'
  | 'listInstances'
  | 'updateInstance'
  | 'deleteInstance'
>;

/** json columns arrive parsed, timestamptz as ISO text (database.ts). */
interface ConnectorRow {
  id: string;
  company_id: string;
  name: string;
  protocol: string;
  base_url: string;
  variables: Connector['variables'];
  auth_methods: Connector['authMethods'];
  endpoints: Connector['endpoints'];
  created_at: string;
  updated_at: string;
}

interface InstanceRow {
  id: string;
  company_id: string;
  connector_id: string;
  name: string;
  variables: Record<string, string>;
  auth_method: string | null;
  has_credentials: boolean;
  credential_fields: string[];
  created_at: string;
  updated_at: string;
}

const FOREIGN_KEY_VIOLATION = '23503';

// The ciphertext column is left out of every read but getInstanceSecret's.
const INSTANCE_COLUMNS = `id, company_id, connector_id, name, variables, auth_method,
  credentials_ciphertext IS NOT NULL AS has_credentials, credential_fields, created_at, updated_at`;

const SQL = {
  connector: statement('SELECT * FROM connectors WHERE company_id = $1 AND id = $2'),
  connectorPage: statement('SELECT * FROM connectors WHERE company_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3'),
  connectorCount: statement('SELECT count(*) AS n FROM connectors WHERE company_id = $1'),
  // From the company row: no connector for a company that does not exist.
  insertConnector:
    statement(`INSERT INTO connectors (id, company_id, name, protocol, base_url, variables, auth_methods, endpoints, created_at, updated_at)
    SELECT $1::text, c.id, $3::text, $4::text, $5::text, $6::json, $7::json, $8::json, $9::timestamptz, $9::timestamptz
    FROM companies c WHERE c.id = $2 RETURNING *`),
  // The instance check and the delete are one statement; the foreign key catches an instance
  // inserted concurrently (its insert holds a lock on the connector row).
  deleteConnector: statement(`DELETE FROM connectors WHERE company_id = $1 AND id = $2
    AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.connector_id = $2)`),
  instance: statement(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE company_id = $1 AND id = $2`),
  instanceSecret: statement('SELECT credentials_ciphertext FROM instances WHERE company_id = $1 AND id = $2'),
  insertInstance: statement(`INSERT INTO instances
      (id, company_id, connector_id, name, variables, auth_method, credentials_ciphertext, credential_fields, created_at, updated_at)
    SELECT $1::text, c.company_id, c.id, $4::text, $5::json, $6::text, $7::text, $8::text[], $9::timestamptz, $9::timestamptz
    FROM connectors c WHERE c.company_id = $2 AND c.id = $3 RETURNING ${INSTANCE_COLUMNS}`),
  deleteInstance: statement('DELETE FROM instances WHERE company_id = $1 AND id = $2'),
} as const;

function toConnector(row: ConnectorRow): Connector {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    protocol: row.protocol as ConnectorProtocol,
    baseUrl: row.base_url,
    variables: row.variables,
    authMethods: row.auth_methods,
    endpoints: row.endpoints,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toInstance(row: InstanceRow): Instance {
  return {
    id: row.id,
    companyId: row.company_id,
    connectorId: row.connector_id,
    name: row.name,
    variables: row.variables,
    authMethod: row.auth_method,
    credentialsSet: row.has_credentials,
    credentialFields: row.credential_fields,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Connectors and instances. Instances hold credentials only as the ciphertext they were given. */
export function connectorMethods({ db }: PostgresContext): ConnectorMethods {
  /** Updates the given columns (values already cast in `casts`) of the company's row; the row after, if any. */
  const update = async <R>(
    table: 'connectors' | 'instances',
    returning: string,
    companyId: string,
    id: string,
    values: Array<[string, unknown, string]>,
  ) => {
    const sets = values.map(([column, , cast], i) => `${column} = $${i + 3}::${cast}`).join(', ');
    return db.row<R>(`UPDATE ${table} SET ${sets} WHERE company_id = $1 AND id = $2 RETURNING ${returning}`, [
      companyId,
      id,
      ...values.map(([, value]) => value),
    ]);
  };

  return {
    async createConnector(companyId, input) {
      const row = await db.row<ConnectorRow>(SQL.insertConnector, [
        newId(),
        companyId,
        input.name,
        input.protocol,
        input.baseUrl,
        JSON.stringify(input.variables),
        JSON.stringify(input.authMethods),
        JSON.stringify(input.endpoints),
        nowIso(),
      ]);
      if (row === undefined) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
      return toConnector(row);
    },

    async getConnector(companyId, connectorId) {
      const row = await db.row<ConnectorRow>(SQL.connector, [companyId, connectorId]);
      return row && toConnector(row);
    },

    async listConnectors(companyId, page) {
      const { limit, offset } = pageWindow(page);
      const rows = await db.rows<ConnectorRow>(SQL.connectorPage, [companyId, limit, offset]);
      const total = (await db.row<{ n: number }>(SQL.connectorCount, [companyId]))?.n ?? 0;
      return { rows: rows.map(toConnector), total };
    },

    async updateConnector(companyId, connectorId, patch) {
      const values: Array<[string, unknown, string]> = [];
      if (patch.name !== undefined) values.push(['name', patch.name, 'text']);
      if (patch.protocol !== undefined) values.push(['protocol', patch.protocol, 'text']);
      if (patch.baseUrl !== undefined) values.push(['base_url', patch.baseUrl, 'text']);
      if (patch.variables !== undefined) values.push(['variables', JSON.stringify(patch.variables), 'json']);
      if (patch.authMethods !== undefined) values.push(['auth_methods', JSON.stringify(patch.authMethods), 'json']);
      if (patch.endpoints !== undefined) values.push(['endpoints', JSON.stringify(patch.endpoints), 'json']);
      values.push(['updated_at', nowIso(), 'timestamptz']);
      const row = await update<ConnectorRow>('connectors', '*', companyId, connectorId, values);
      return row && toConnector(row);
    },

    async deleteConnector(companyId, connectorId) {
      try {
        if ((await db.run(SQL.deleteConnector, [companyId, connectorId])) > 0) return true;
      } catch (err) {
        if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw inUse(connectorId);
        throw err;
      }
      if ((await db.row(SQL.connector, [companyId, connectorId])) !== undefined) throw inUse(connectorId);
      return false;
    },

    async createInstance(companyId, input) {
      const row = await db.row<InstanceRow>(SQL.insertInstance, [
        newId(),
        companyId,
        input.connectorId,
        input.name,
        JSON.stringify(input.variables),
        input.authMethod,
        input.credentials?.ciphertext ?? null,
        input.credentials?.fields ?? [],
        nowIso(),
      ]);
      if (row === undefined) throw new AppError('NOT_FOUND', `The connector ${input.connectorId} does not exist.`);
      return toInstance(row);
    },

    async getInstance(companyId, instanceId) {
      const row = await db.row<InstanceRow>(SQL.instance, [companyId, instanceId]);
      return row && toInstance(row);
    },

    async getInstanceSecret(companyId, instanceId) {
      const row = await db.row<{ credentials_ciphertext: string | null }>(SQL.instanceSecret, [companyId, instanceId]);
      return row?.credentials_ciphertext;
    },

    async listInstances(companyId, filters, page) {
      const { limit, offset } = pageWindow(page);
      const where = filters.connectorId === undefined ? 'company_id = $1' : 'company_id = $1 AND connector_id = $2';
      const params: unknown[] = filters.connectorId === undefined ? [companyId] : [companyId, filters.connectorId];
      const n = params.length;
      const rows = await db.rows<InstanceRow>(
        `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE ${where} ORDER BY id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, limit, offset],
      );
      const total = (await db.row<{ n: number }>(`SELECT count(*) AS n FROM instances WHERE ${where}`, params))?.n ?? 0;
      return { rows: rows.map(toInstance), total };
    },

    async updateInstance(companyId, instanceId, patch) {
      const values: Array<[string, unknown, string]> = [];
      if (patch.name !== undefined) values.push(['name', patch.name, 'text']);
      if (patch.variables !== undefined) values.push(['variables', JSON.stringify(patch.variables), 'json']);
      if (patch.authMethod !== undefined) values.push(['auth_method', patch.authMethod, 'text']);
      if (patch.credentials !== undefined) {
        values.push(['credentials_ciphertext', patch.credentials?.ciphertext ?? null, 'text']);
        values.push(['credential_fields', patch.credentials?.fields ?? [], 'text[]']);
      }
      values.push(['updated_at', nowIso(), 'timestamptz']);
      const row = await update<InstanceRow>('instances', INSTANCE_COLUMNS, companyId, instanceId, values);
      return row && toInstance(row);
    },

    async deleteInstance(companyId, instanceId) {
      return (await db.run(SQL.deleteInstance, [companyId, instanceId])) > 0;
    },
  };
}

function inUse(connectorId: string): AppError {
  return new AppError('CONFLICT', `The connector ${connectorId} is used by instances; delete them first.`);
}
