import { createHash } from 'node:crypto';
import { AppError } from '@weft/schema';
import { type Compilable, Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { lazyRequire } from '../../lazy-require.js';
import type { Migration } from './migrations.js';
import type { Tables } from './tables.js';

/** A pool or one checked-out connection (inside a transaction). */
export type Queryable = pg.Pool | pg.PoolClient;

/** Fixed SQL sent as a named prepared statement: parsed and planned once per connection. */
export interface Statement {
  name: string;
  text: string;
}

const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;
const loadPg = lazyRequire<typeof pg>('pg');

/**
 * How values arrive, per pool rather than pg's global registry: timestamps as the ISO 8601 text the
 * Store contract uses (the same form the SQLite adapter stores), and bigint (counts, log ids) as
 * numbers; they stay far below 2^53.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMPTZ_OID) {
      const parseTimestamptz = loadPg().types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (value: string) => Date;
      return (value: string) => parseTimestamptz(value).toISOString();
    }
    if (oid === INT8_OID) return (value: string) => Number(value);
    return loadPg().types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Names a fixed SQL text as a prepared statement; the name derives from the text so it never clashes. */
export function statement(text: string): Statement {
  return { name: `weft_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
}

export interface PostgresDatabaseOptions {
  connectionString: string;
  schema: string;
  poolSize: number;
  connectionTimeoutMs: number;
}

/**
 * A pg pool whose every connection works inside one schema (search_path), with Kysely as the
 * typed builder of the dynamic queries. As in the SQLite adapter, Kysely compiles and the driver
 * executes, so any query runs on the pool or on a transaction's connection alike.
 */
export class PostgresDatabase {
  readonly pool: pg.Pool;
  readonly kysely: Kysely<Tables>;
  readonly schema: string;
  #closing: Promise<void> | undefined;

  constructor(options: PostgresDatabaseOptions) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
      throw new AppError(
        'INTERNAL',
        `The PostgreSQL schema name must be a plain identifier (letters, digits, _), got "${options.schema}".`,
      );
    }
    this.schema = options.schema;
    this.pool = new (loadPg().Pool)({
      connectionString: options.connectionString,
      max: options.poolSize,
      application_name: 'weft',
      keepAlive: true,
      connectionTimeoutMillis: options.connectionTimeoutMs,
      types,
      // On every new connection before the pool hands it out (a failure fails the checkout), rather
      // than as a startup option, which an `options` parameter in the URL would silently replace.
      onConnect: async (client) => {
        await client.query(`SET search_path TO ${quoteIdent(options.schema)}`);
      },
    });
    // An idle connection that the server drops (a restart, an administrator) is reported here; the
    // pool already discards it and the next query opens a new one. Unhandled, it would crash the process.
    this.pool.on('error', () => {});
    this.kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  async rows<R>(sqlOrStatement: string | Statement, values: unknown[] = [], on: Queryable = this.pool): Promise<R[]> {
    const config = typeof sqlOrStatement === 'string' ? { text: sqlOrStatement, values } : { ...sqlOrStatement, values };
    const result = await on.query(config);
    return result.rows as R[];
  }

  async row<R>(sqlOrStatement: string | Statement, values: unknown[] = [], on: Queryable = this.pool): Promise<R | undefined> {
    return (await this.rows<R>(sqlOrStatement, values, on))[0];
  }

  /** Runs a statement and returns how many rows it changed. */
  async run(sqlOrStatement: string | Statement, values: unknown[] = [], on: Queryable = this.pool): Promise<number> {
    const config = typeof sqlOrStatement === 'string' ? { text: sqlOrStatement, values } : { ...sqlOrStatement, values };
    return (await on.query(config)).rowCount ?? 0;
  }

  async all<R>(query: Compilable<R>, on: Queryable = this.pool): Promise<R[]> {
    const compiled = query.compile();
    return this.rows<R>(compiled.sql, [...compiled.parameters], on);
  }

  async first<R>(query: Compilable<R>, on: Queryable = this.pool): Promise<R | undefined> {
    return (await this.all(query, on))[0];
  }

  async execute(query: Compilable<unknown>, on: Queryable = this.pool): Promise<number> {
    const compiled = query.compile();
    return this.run(compiled.sql, [...compiled.parameters], on);
  }

  /**
   * Runs fn in a transaction on one connection: COMMIT when it returns, ROLLBACK when it throws or
   * calls rollback() (to undo its writes and still return a value). A connection that failed
   * mid-way is destroyed instead of going back to the pool.
   */
  async transaction<T>(fn: (client: pg.PoolClient, rollback: () => void) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      let undo = false;
      const result = await fn(client, () => {
        undo = true;
      });
      await client.query(undo ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Applies the migrations not yet recorded, all in one transaction. An advisory lock per schema
   * makes processes starting together take turns, so each migration runs exactly once.
   */
  async migrate(migrations: readonly Migration[]): Promise<void> {
    const schema = quoteIdent(this.schema);
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`weft:migrate:${this.schema}`]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE right on the database even
      // when the schema exists, which a role confined to its schema does not have.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET LOCAL search_path TO ${schema}`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL)');
      const applied = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((row) => row.id));
      const known = new Set(migrations.map((m) => m.id));
      const unknown = [...applied].filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new AppError(
          'INTERNAL',
          `The database has migrations this version of Weft does not know (${unknown.join(', ')}); run a Weft at least as new as the one that migrated it.`,
        );
      }
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [migration.id, new Date().toISOString()]);
      }
    });
  }

  /** Waits for checked-out connections to come back, then closes them all; later calls share the first. */
  close(): Promise<void> {
    this.#closing ??= this.pool.end();
    return this.#closing;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// SQLSTATE classes and codes another attempt can cure: the connection (08), the server shutting
// down or restarting (57P01-57P03), too many connections or out of resources (53), and conflicts
// between transactions (40001 serialization, 40P01 deadlock).
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53...|40001|40P01|55P03)$/;
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// pg reports a lost or closed connection with messages, not codes.
const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Query read timeout',
];

/**
 * Database failures another attempt can cure become STORAGE_UNAVAILABLE (the API answers 503, the
 * worker retries); everything else (constraint violations, SQL errors) is a bug and passes through.
 */
export function toStorageError(err: unknown): unknown {
  if (err instanceof AppError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const transient =
    (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code))) ||
    (err instanceof AggregateError && err.errors.some((inner) => toStorageError(inner) instanceof AppError)) ||
    TRANSIENT_MESSAGES.some((message) => err.message.includes(message));
  if (!transient) return err;
  const reason = typeof code === 'string' ? code : err.message;
  return new AppError('STORAGE_UNAVAILABLE', `The database is not available right now (${reason}).`, { cause: err });
}
