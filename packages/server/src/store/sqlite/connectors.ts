import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import type { Connector, ConnectorProtocol, Instance, Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

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

interface ConnectorRow {
  id: string;
  company_id: string;
  name: string;
  protocol: string;
  base_url: string;
  variables: string;
  auth_methods: string;
  endpoints: string;
  created_at: string;
  updated_at: string;
}

interface InstanceRow {
  id: string;
  company_id: string;
  connector_id: string;
  name: string;
  variables: string;
  auth_method: string | null;
  has_credentials: number;
  credential_fields: string;
  created_at: string;
  updated_at: string;
}

// The ciphertext column is left out of every read but getInstanceSecret's.
const INSTANCE_COLUMNS = `id, company_id, connector_id, name, variables, auth_method,
  credentials_ciphertext IS NOT NULL AS has_credentials, credential_fields, created_at, updated_at`;

const SQL = {
  connector: 'SELECT * FROM connectors WHERE company_id = ? AND id = ?',
  connectorPage: 'SELECT * FROM connectors WHERE company_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
  connectorCount: 'SELECT count(*) AS n FROM connectors WHERE company_id = ?',
  insertConnector: `INSERT INTO connectors (id, company_id, name, protocol, base_url, variables, auth_methods, endpoints, created_at, updated_at)
    SELECT ?, c.id, ?, ?, ?, ?, ?, ?, ?, ? FROM companies c WHERE c.id = ?`,
  instanceInUse: 'SELECT 1 FROM instances WHERE connector_id = ? LIMIT 1',
  deleteConnector: 'DELETE FROM connectors WHERE company_id = ? AND id = ?',
  instance: `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE company_id = ? AND id = ?`,
  instanceSecret: 'SELECT credentials_ciphertext FROM instances WHERE company_id = ? AND id = ?',
  insertInstance: `INSERT INTO instances
      (id, company_id, connector_id, name, variables, auth_method, credentials_ciphertext, credential_fields, created_at, updated_at)
    SELECT ?, c.company_id, c.id, ?, ?, ?, ?, ?, ?, ? FROM connectors c WHERE c.company_id = ? AND c.id = ?`,
  deleteInstance: 'DELETE FROM instances WHERE company_id = ? AND id = ?',
} as const;

function toConnector(row: ConnectorRow): Connector {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    protocol: row.protocol as ConnectorProtocol,
    baseUrl: row.base_url,
    variables: JSON.parse(row.variables) as Connector['variables'],
    authMethods: JSON.parse(row.auth_methods) as Connector['authMethods'],
    endpoints: JSON.parse(row.endpoints) as Connector['endpoints'],
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
    variables: JSON.parse(row.variables) as Record<string, string>,
    authMethod: row.auth_method,
    credentialsSet: row.has_credentials === 1,
    credentialFields: JSON.parse(row.credential_fields) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Connectors and instances. Instances hold credentials only as the ciphertext they were given. */
export function connectorMethods({ db }: SqliteContext): ConnectorMethods {
  const readConnector = (companyId: string, id: string) => {
    const row = db.statement(SQL.connector).get(companyId, id) as ConnectorRow | undefined;
    return row && toConnector(row);
  };
  const readInstance = (companyId: string, id: string) => {
    const row = db.statement(SQL.instance).get(companyId, id) as InstanceRow | undefined;
    return row && toInstance(row);
  };

  /** Runs an UPDATE of the given columns on the company's row; false when there is no such row. */
  const update = (table: 'connectors' | 'instances', companyId: string, id: string, values: Record<string, unknown>) => {
    const columns = Object.keys(values);
    const text = `UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE company_id = ? AND id = ?`;
    return db.statement(text).run(...Object.values(values), companyId, id).changes > 0;
  };

  return {
    async createConnector(companyId, input) {
      return db.write(() => {
        const id = newId();
        const at = nowIso();
        const inserted = db
          .statement(SQL.insertConnector)
          .run(
            id,
            input.name,
            input.protocol,
            input.baseUrl,
            JSON.stringify(input.variables),
            JSON.stringify(input.authMethods),
            JSON.stringify(input.endpoints),
            at,
            at,
            companyId,
          );
        if (inserted.changes === 0) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        const connector = readConnector(companyId, id);
        if (connector === undefined) throw new AppError('INTERNAL', `The connector ${id} was not stored.`);
        return connector;
      });
    },

    async getConnector(companyId, connectorId) {
      return readConnector(companyId, connectorId);
    },

    async listConnectors(companyId, page) {
      const { limit, offset } = pageWindow(page);
      const rows = db.statement(SQL.connectorPage).all(companyId, limit, offset) as ConnectorRow[];
      const total = (db.statement(SQL.connectorCount).get(companyId) as { n: number }).n;
      return { rows: rows.map(toConnector), total };
    },

    async updateConnector(companyId, connectorId, patch) {
      return db.write(() => {
        const values = {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.protocol !== undefined && { protocol: patch.protocol }),
          ...(patch.baseUrl !== undefined && { base_url: patch.baseUrl }),
          ...(patch.variables !== undefined && { variables: JSON.stringify(patch.variables) }),
          ...(patch.authMethods !== undefined && { auth_methods: JSON.stringify(patch.authMethods) }),
          ...(patch.endpoints !== undefined && { endpoints: JSON.stringify(patch.endpoints) }),
          updated_at: nowIso(),
        };
        return update('connectors', companyId, connectorId, values) ? readConnector(companyId, connectorId) : undefined;
      });
    },

    async deleteConnector(companyId, connectorId) {
      return db.write(() => {
        if (readConnector(companyId, connectorId) === undefined) return false;
        if (db.statement(SQL.instanceInUse).get(connectorId) !== undefined) throw inUse(connectorId);
        return db.statement(SQL.deleteConnector).run(companyId, connectorId).changes > 0;
      });
    },

    async createInstance(companyId, input) {
      return db.write(() => {
        const id = newId();
        const at = nowIso();
        const inserted = db
          .statement(SQL.insertInstance)
          .run(
            id,
            input.name,
            JSON.stringify(input.variables),
            input.authMethod,
            input.credentials?.ciphertext ?? null,
            JSON.stringify(input.credentials?.fields ?? []),
            at,
            at,
            companyId,
            input.connectorId,
          );
        if (inserted.changes === 0) throw new AppError('NOT_FOUND', `The connector ${input.connectorId} does not exist.`);
        const instance = readInstance(companyId, id);
        if (instance === undefined) throw new AppError('INTERNAL', `The instance ${id} was not stored.`);
        return instance;
      });
    },

    async getInstance(companyId, instanceId) {
      return readInstance(companyId, instanceId);
    },

    async getInstanceSecret(companyId, instanceId) {
      const row = db.statement(SQL.instanceSecret).get(companyId, instanceId) as { credentials_ciphertext: string | null } | undefined;
      return row?.credentials_ciphertext;
    },

    async listInstances(companyId, filters, page) {
      const { limit, offset } = pageWindow(page);
      const where = filters.connectorId === undefined ? 'company_id = ?' : 'company_id = ? AND connector_id = ?';
      const params = filters.connectorId === undefined ? [companyId] : [companyId, filters.connectorId];
      const rows = db
        .statement(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE ${where} ORDER BY id DESC LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as InstanceRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM instances WHERE ${where}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toInstance), total };
    },

    async updateInstance(companyId, instanceId, patch) {
      return db.write(() => {
        const values = {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.variables !== undefined && { variables: JSON.stringify(patch.variables) }),
          ...(patch.authMethod !== undefined && { auth_method: patch.authMethod }),
          ...(patch.credentials !== undefined && {
            credentials_ciphertext: patch.credentials?.ciphertext ?? null,
            credential_fields: JSON.stringify(patch.credentials?.fields ?? []),
          }),
          updated_at: nowIso(),
        };
        return update('instances', companyId, instanceId, values) ? readInstance(companyId, instanceId) : undefined;
      });
    },

    async deleteInstance(companyId, instanceId) {
      return db.write(() => db.statement(SQL.deleteInstance).run(companyId, instanceId).changes > 0);
    },
  };
}

export function inUse(connectorId: string): AppError {
  return new AppError('CONFLICT', `The connector ${connectorId} is used by instances; delete them first.`);
}
