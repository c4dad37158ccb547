import type { PostgresDatabase } from './database.js';

/** What the parts of the PostgreSQL store share. */
export interface PostgresContext {
  db: PostgresDatabase;
  inlinePayloadMaxBytes: number;
}

/**
 * The current time as stored. Read from the JS clock (never the server's now()), so every
 * timestamp and lease comparison follows one clock, the one tests can set, whichever machine
 * the server runs on.
 */
export function nowIso(): string {
  return new Date().toISOString();
}

/** ISO 8601 UTC in the one form the store uses, or undefined when the value is not a timestamp. */
export function normaliseTimestamp(value: string): string | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Page numbers start at 1; out-of-range values are clamped rather than refused (the HTTP layer validates). */
export function pageWindow(page: { page: number; perPage: number }): { limit: number; offset: number } {
  const limit = Math.max(1, Math.floor(page.perPage));
  const offset = (Math.max(1, Math.floor(page.page)) - 1) * limit;
  return { limit, offset };
}
