import type { SqliteDatabase } from './database.js';
import type { PayloadFiles } from './payload-files.js';

/** What the parts of the SQLite store share. */
export interface SqliteContext {
  db: SqliteDatabase;
  files: PayloadFiles;
  inlinePayloadMaxBytes: number;
}

/**
 * The current time as stored. Read from the JS clock (never SQLite's), so every timestamp and
 * lease comparison follows one clock, the one tests can set.
 */
export function nowIso(): string {
  return new Date().toISOString();
}

/** ISO 8601 UTC in the one fixed form stored, so timestamps compare correctly as text. */
export function normaliseTimestamp(value: string): string | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
