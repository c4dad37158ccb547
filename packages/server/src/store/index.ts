export { idTimeMs, newId } from './ids.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export type * from './types.js';
