import type { BoundStatement } from '@weft/engine';
import { AppError } from '@weft/schema';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { lazyRequire } from '../lazy-require.js';
import type { ConnectionTarget } from './connection-target.js';

/** One pool of one instance's database, whatever the driver. */
export interface DriverPool {
  query(statement: BoundStatement, timeoutMs: number): Promise<Array<Record<string, unknown>>>;
  /** All statements in one transaction; rolled back when any fails. */
  transaction(statements: BoundStatement[], timeoutMs: number): Promise<number[]>;
  end(): Promise<void>;
}

export interface PoolOptions {
  size: number;
  connectTimeoutMs: number;
}

const loadPg = lazyRequire<typeof pg>('pg');
const loadMysql = lazyRequire<typeof mysql>('mysql2/promise');

export function openPool(target: ConnectionTarget, options: PoolOptions): DriverPool {
  return target.protocol === 'postgres' ? postgresPool(target, options) : mysqlPool(target, options);
}

function postgresPool(target: ConnectionTarget, options: PoolOptions): DriverPool {
  const pool = new (loadPg().Pool)({
    host: target.address,
    port: target.port,
    database: target.database,
    ...(target.user === undefined ? {} : { user: target.user }),
    ...(target.password === undefined ? {} : { password: target.password }),
    max: options.size,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    ...(target.tls ? { ssl: { servername: target.host } } : {}),
  });
  // An idle connection the server drops must not take the process down; the next query reconnects.
  pool.on('error', () => {});
  const fail = (err: unknown) => databaseError(err, target);
  return {
    async query(statement, timeoutMs) {
      try {
        const result = await pool.query({ text: statement.text, values: statement.values, query_timeout: timeoutMs } as pg.QueryConfig);
        return result.rows.map(jsonRow);
      } catch (err) {
        throw fail(err);
      }
    },
    async transaction(statements, timeoutMs) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw fail(err);
      }
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const counts: number[] = [];
        for (const s of statements) {
          const result = await client.query({ text: s.text, values: s.values, query_timeout: timeoutMs } as pg.QueryConfig);
          counts.push(result.rowCount ?? 0);
        }
        await client.query('COMMIT');
        return counts;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw fail(err);
      } finally {
        client.release(broken);
      }
    },
    end: () => pool.end(),
  };
}

function mysqlPool(target: ConnectionTarget, options: PoolOptions): DriverPool {
  const pool = loadMysql().createPool({
    // mysql2 takes the TLS server name from host, so with TLS the (checked) name is used rather than the pinned address.
    host: target.tls ? target.host : target.address,
    port: target.port,
    database: target.database,
    ...(target.user === undefined ? {} : { user: target.user }),
    ...(target.password === undefined ? {} : { password: target.password }),
    connectionLimit: options.size,
    connectTimeout: options.connectTimeoutMs,
    // Exact values rather than lossy doubles: BIGINT and DECIMAL come back as strings.
    supportBigNumbers: true,
    bigNumberStrings: true,
    ...(target.tls ? { ssl: {} } : {}),
  });
  const fail = (err: unknown) => databaseError(err, target);
  return {
    async query(statement, timeoutMs) {
      try {
        const [rows] = await pool.execute({ sql: statement.text, values: statement.values as never[], timeout: timeoutMs });
        return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>).map(jsonRow) : [];
      } catch (err) {
        throw fail(err);
      }
    },
    async transaction(statements, timeoutMs) {
      let connection: mysql.PoolConnection;
      try {
        connection = await pool.getConnection();
      } catch (err) {
        throw fail(err);
      }
      try {
        await connection.beginTransaction();
        const counts: number[] = [];
        for (const s of statements) {
          const [result] = await connection.execute({ sql: s.text, values: s.values as never[], timeout: timeoutMs });
          counts.push(Array.isArray(result) ? 0 : (result as mysql.ResultSetHeader).affectedRows);
        }
        await connection.commit();
        return counts;
      } catch (err) {
        await connection.rollback().catch(() => connection.destroy());
        throw fail(err);
      } finally {
        connection.release();
      }
    },
    end: () => pool.end(),
  };
}

/** Rows as JSON-ready objects: binary columns as base64 (a Buffer would serialise as a byte list). */
function jsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  return out;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
]);
// Serialization failures, deadlocks and lock timeouts go away when tried again.
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P03']);
const RETRYABLE_MYSQL_ERRNOS = new Set([1205, 1213]);

/** A driver error as an AppError that quotes the database's own reason. */
export function databaseError(err: unknown, target: ConnectionTarget): AppError {
  if (err instanceof AppError) return err;
  const e = err as Error & { code?: string; errno?: number; sqlMessage?: string; sqlState?: string; severity?: string };
  const where = `${target.protocol === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} at ${target.host}:${target.port}`;
  const message = e?.message ?? String(err);
  if (e?.code !== undefined && NETWORK_CODES.has(e.code)) {
    return new AppError('CONNECTOR_NETWORK_ERROR', `could not reach ${where}: ${message}`, { retryable: true, cause: err });
  }
  if (/timeout|timed out/i.test(message) && e?.sqlState === undefined && e?.severity === undefined) {
    return new AppError('CONNECTOR_NETWORK_ERROR', `${where} did not answer in time: ${message}`, { retryable: true, cause: err });
  }
  if (target.protocol === 'postgres' && e?.severity !== undefined) {
    const code = e.code ?? '';
    const what = code.startsWith('28') ? 'login' : 'query';
    return new AppError('DATABASE_QUERY_FAILED', `${where} refused the ${what}: ${message} (SQLSTATE ${code})`, {
      retryable: RETRYABLE_SQLSTATES.has(code),
      cause: err,
    });
  }
  if (target.protocol === 'mysql' && e?.sqlMessage !== undefined) {
    const what = e.errno === 1044 || e.errno === 1045 ? 'login' : 'query';
    return new AppError(
      'DATABASE_QUERY_FAILED',
      `${where} refused the ${what}: ${e.sqlMessage} (error ${e.errno ?? '?'} ${e.code ?? ''})`,
      {
        retryable: e.errno !== undefined && RETRYABLE_MYSQL_ERRNOS.has(e.errno),
        cause: err,
      },
    );
  }
  return new AppError('CONNECTOR_NETWORK_ERROR', `${where}: ${message}`, { retryable: true, cause: err });
}
