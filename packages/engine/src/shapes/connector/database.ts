import type { SqlDialect } from './sql-params.js';

/**
 * Database endpoints (connectors of protocol `postgres` or `mysql`): a parameterised query per
 * endpoint. The engine compiles the `:name` parameters and binds their values; the server's
 * `databases` port owns the drivers, the pools and the egress guard.
 */

export interface DatabaseParam {
  /** A `[[...]]` template; rendered to a string. */
  value?: string;
  /** A path into the record (send) or the payload (receive); the value is bound with its JSON type. */
  field?: string;
  required?: boolean;
}

export interface DatabaseEndpointDefinition {
  name: string;
  direction: 'receive' | 'send';
  /** SQL with `:name` parameters; every name is declared in `params`. */
  sql: string;
  params: Record<string, DatabaseParam>;
}

/** The instance's database, as the resolver hands it over: the base URL filled in, credentials decrypted. */
export interface DatabaseTarget {
  /** Pools are kept per key (the instance); a changed URL or credential opens a fresh pool. */
  key: string;
  protocol: SqlDialect;
  /** `postgres://host:port/db` or `mysql://host:port/db`; user and password come from `username`/`password`. */
  url: string;
  username?: string;
  password?: string;
}

export interface ResolvedDatabase {
  target: DatabaseTarget;
  endpoint: DatabaseEndpointDefinition;
}

/** A statement ready for the driver: positional placeholders and their values. */
export interface BoundStatement {
  text: string;
  values: unknown[];
}

export interface DatabaseCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface DatabaseClient {
  /** Runs one query and returns its rows as plain JSON-ready objects. */
  query(target: DatabaseTarget, statement: BoundStatement, options: DatabaseCallOptions): Promise<Array<Record<string, unknown>>>;
  /** Runs the statements in one transaction (all or none) and returns each one's affected row count. */
  execute(target: DatabaseTarget, statements: BoundStatement[], options: DatabaseCallOptions): Promise<number[]>;
  /** Ends every pool. */
  close(): Promise<void>;
}
