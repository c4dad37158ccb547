export { idTimeMs, newId } from './ids.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export type * from './types.js';
