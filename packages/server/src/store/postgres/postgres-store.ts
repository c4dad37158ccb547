import type { Store } from '../types.js';
import { accountMethods } from './accounts.js';
import { auditMethods } from './audit.js';
import { cacheMethods } from './caches.js';
import { connectorExtrasMethods } from './connector-extras.js';
import { connectorMethods } from './connectors.js';
import type { PostgresContext } from './context.js';
import { dataPoolMethods } from './data-pools.js';
import { dataRetentionMethods } from './data-retention.js';
import { PostgresDatabase, toStorageError } from './database.js';
import { eventTriggerMethods } from './event-triggers.js';
import { flowMethods } from './flows.js';
import { journalMethods } from './journal.js';
import { lookupTableMethods } from './lookup-tables.js';
import { postgresMigrations } from './migrations.js';
import { notificationMethods } from './notifications.js';
import { operationMethods } from './operations.js';
import { runMethods } from './runs.js';
import { scriptMethods } from './scripts.js';
import { trackedDataMethods } from './tracked-data.js';
import { triggerMethods } from './triggers.js';
import { userAdminMethods } from './user-admin.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (any libpq-style URL pg accepts). */
  connectionString: string;
  /** The schema holding every table; created by migrate() when absent. Default "public". */
  schema?: string;
  /** Connections this process keeps open at most. Default 10. */
  poolSize?: number;
  /** Bodies up to this size are stored inside the payload row; larger ones once per content in payload_blobs. Default 64 KiB. */
  inlinePayloadMaxBytes?: number;
  /** How long a query waits for a free connection (or for a new one to open). Default 10 000. */
  connectionTimeoutMs?: number;
}

const DEFAULT_INLINE_PAYLOAD_MAX_BYTES = 64 * 1024;

/**
 * The distributed store: PostgreSQL through a pg pool, every table inside one schema. Any number
 * of processes on any number of machines may share it: leases, idempotency keys and version
 * changes are decided by row locks and unique constraints, never by one process's memory, and
 * payload bodies live in the database too. Connects lazily; call migrate() before use.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const db = new PostgresDatabase({
    connectionString: options.connectionString,
    schema: options.schema ?? 'public',
    poolSize: options.poolSize ?? 10,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 10_000,
  });
  const ctx: PostgresContext = { db, inlinePayloadMaxBytes: options.inlinePayloadMaxBytes ?? DEFAULT_INLINE_PAYLOAD_MAX_BYTES };

  const store: Store = {
    async migrate() {
      await db.migrate(postgresMigrations);
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
 * Failures another attempt can cure (the server unreachable or restarting, the connection lost,
 * the pool closed during shutdown) become STORAGE_UNAVAILABLE, which the API answers with 503 and
 * the worker retries. Everything else is a bug and passes through.
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
