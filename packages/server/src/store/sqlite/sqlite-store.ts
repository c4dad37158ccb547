import { AppError } from '@weft/schema';
import Database from 'better-sqlite3';
import type { Store } from '../types.js';
import { accountMethods } from './accounts.js';
import { auditMethods } from './audit.js';
import { cacheMethods } from './caches.js';
import { connectorExtrasMethods } from './connector-extras.js';
import { connectorMethods } from './connectors.js';
import type { SqliteContext } from './context.js';
import { dataPoolMethods } from './data-pools.js';
import { dataRetentionMethods } from './data-retention.js';
import { SqliteDatabase } from './database.js';
import { eventTriggerMethods } from './event-triggers.js';
import { flowMethods } from './flows.js';
import { journalMethods } from './journal.js';
import { lookupTableMethods } from './lookup-tables.js';
import { sqliteMigrations } from './migrations.js';
import { notificationMethods } from './notifications.js';
import { ensureIncrementalVacuum, operationMethods } from './operations.js';
import { PayloadFiles } from './payload-files.js';
import { runMethods } from './runs.js';
import { scriptMethods } from './scripts.js';
import { trackedDataMethods } from './tracked-data.js';
import { triggerMethods } from './triggers.js';
import { userAdminMethods } from './user-admin.js';

export interface SqliteStoreOptions {
  /** The database file; created (with its directory) when absent. */
  file: string;
  /** Where payload bodies over the inline limit are kept as files. */
  payloadDir: string;
  /** Bodies up to this size are stored inside the database row. Default 64 KiB. */
  inlinePayloadMaxBytes?: number;
  /** How long a write waits for another process holding the database lock. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * How often a background thread checkpoints the WAL once the store is busy (after its first
   * 1000 writes); 0 leaves checkpoints to the writer. Default 100.
   */
  checkpointIntervalMs?: number;
}

const DEFAULT_INLINE_PAYLOAD_MAX_BYTES = 64 * 1024;

/**
 * The embedded store: one SQLite file (WAL) plus a directory for large payload bodies. Opens the
 * file at once; call migrate() before use. One process may hold several stores on one file, and
 * several processes may share it (writes serialise on SQLite's lock).
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db = new SqliteDatabase(options.file, {
    ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
    ...(options.checkpointIntervalMs !== undefined && { checkpointIntervalMs: options.checkpointIntervalMs }),
  });
  const files = new PayloadFiles(options.payloadDir);
  const ctx: SqliteContext = { db, files, inlinePayloadMaxBytes: options.inlinePayloadMaxBytes ?? DEFAULT_INLINE_PAYLOAD_MAX_BYTES };

  const store: Store = {
    async migrate() {
      db.migrate(sqliteMigrations);
      ensureIncrementalVacuum(ctx);
      await files.removeStaleTemps(Date.now());
    },
    async close() {
      await db.close();
    },
    ...accountMethods(ctx),
    ...userAdminMethods(ctx),
    ...flowMethods(ctx),
    ...runMethods(ctx),
    ...journalMethods(ctx),
    ...connectorMethods(ctx),
    ...connectorExtrasMethods(ctx),
    ...triggerMethods(ctx),
    ...eventTriggerMethods(ctx),
    ...auditMethods(ctx),
    ...notificationMethods(ctx),
    ...scriptMethods(ctx),
    ...lookupTableMethods(ctx),
    ...cacheMethods(ctx),
    ...dataPoolMethods(ctx),
    ...dataRetentionMethods(ctx),
    ...trackedDataMethods(ctx),
    ...operationMethods(ctx),
  };
  return withStorageErrors(store);
}

/**
 * Database failures that another attempt can cure (the lock held too long by another process,
 * the disk full, the store closed during shutdown) become STORAGE_UNAVAILABLE, which the API
 * answers with 503 and the worker retries. Everything else is a bug and passes through.
 */
function withStorageErrors(store: Store): Store {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(store) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (err) {
        throw toStorageError(err);
      }
    };
  }
  return wrapped as unknown as Store;
}

const TRANSIENT_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_PROTOCOL',
];

function toStorageError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof Database.SqliteError && TRANSIENT_CODES.some((code) => err.code.startsWith(code))) {
    return new AppError('STORAGE_UNAVAILABLE', `The database is not available right now (${err.code}).`, { cause: err });
  }
  if (err instanceof TypeError && err.message.includes('database connection is not open')) {
    return new AppError('STORAGE_UNAVAILABLE', 'The store is closed.', { cause: err });
  }
  return err;
}
