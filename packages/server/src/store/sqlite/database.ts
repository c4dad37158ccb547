import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '@weft/schema';
import Database from 'better-sqlite3';
import { type Compilable, Kysely, SqliteDialect } from 'kysely';
import { BackgroundCheckpointer } from './checkpointer.js';
import type { Migration } from './migrations.js';
import type { Tables } from './tables.js';
import { WriteQueue } from './write-queue.js';

type Statement = Database.Statement<unknown[], unknown>;

const STATEMENT_CACHE_MAX = 500;
const WRITES_BEFORE_CHECKPOINTER = 1000;

/**
 * One better-sqlite3 connection, with Kysely as the typed query builder over it.
 *
 * Every query runs synchronously through better-sqlite3, never through Kysely's async driver.
 * The reason is transactions: a Kysely transaction stays open across awaits on this one
 * connection, so a createRun executing meanwhile would silently become part of it (and be lost
 * if it rolled back). Synchronous work cannot interleave with anything, and cached prepared
 * statements are what the hot paths need anyway. Kysely's SqliteDialect supplies the compiler.
 */
export class SqliteDatabase {
  readonly raw: Database.Database;
  readonly kysely: Kysely<Tables>;
  readonly #statements = new Map<string, Statement>();
  readonly #writes: WriteQueue;
  readonly #file: string;
  readonly #checkpointIntervalMs: number;
  #checkpointer: BackgroundCheckpointer | undefined;
  #writesUntilCheckpointer: number;
  #closing: Promise<void> | undefined;

  constructor(file: string, options: { busyTimeoutMs?: number; checkpointIntervalMs?: number } = {}) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.raw = new Database(file);
    // Only takes effect before the first table exists, which is why it comes first; it lets
    // retention give disk space back with incremental_vacuum instead of a full VACUUM.
    this.raw.pragma('auto_vacuum = INCREMENTAL');
    this.raw.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives any process crash (the promise, quality.md §1); only an OS
    // crash or power loss can drop the last commits, and never corrupts the file.
    this.raw.pragma('synchronous = NORMAL');
    this.raw.pragma('foreign_keys = ON');
    this.raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.raw.pragma('temp_store = MEMORY');
    // 16 MiB of page cache (the default is 2 MiB): the newest pages of the run indexes stay hot.
    this.raw.pragma('cache_size = -16384');
    // Without a limit a WAL file that once grew under load keeps its size on disk.
    this.raw.pragma('journal_size_limit = 67108864');
    // Full Unicode lowercasing for case-insensitive search (SQLite's lower() only folds ASCII).
    this.raw.function('js_lower', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
    this.kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: this.raw }) });
    this.#writes = new WriteQueue(this.raw);
    this.#file = file;
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? 100;
    const background = file !== ':memory:' && this.#checkpointIntervalMs > 0;
    this.#writesUntilCheckpointer = background ? WRITES_BEFORE_CHECKPOINTER : Number.POSITIVE_INFINITY;
  }

  /** A prepared statement for this SQL text, prepared once and then reused. */
  statement(sqlText: string): Statement {
    let stmt = this.#statements.get(sqlText);
    if (stmt === undefined) {
      stmt = this.raw.prepare(sqlText);
      // Dynamic list queries produce a bounded but open set of texts; drop the oldest.
      if (this.#statements.size >= STATEMENT_CACHE_MAX) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
      this.#statements.set(sqlText, stmt);
    }
    return stmt;
  }

  all<R>(query: Compilable<R>): R[] {
    const compiled = query.compile();
    return this.statement(compiled.sql).all(...compiled.parameters) as R[];
  }

  first<R>(query: Compilable<R>): R | undefined {
    const compiled = query.compile();
    return this.statement(compiled.sql).get(...compiled.parameters) as R | undefined;
  }

  /** Executes a statement that returns no rows; returns the number of rows it changed. */
  execute(query: Compilable<unknown>): number {
    const compiled = query.compile();
    return this.statement(compiled.sql).run(...compiled.parameters).changes;
  }

  /**
   * Runs fn inside the next group transaction and resolves once that transaction has committed
   * (see WriteQueue). Every write of the store goes through here.
   */
  write<T>(fn: () => T): Promise<T> {
    if (--this.#writesUntilCheckpointer === 0) this.#startCheckpointer();
    return this.#writes.submit(fn);
  }

  /**
   * write() for a fn that executes exactly one statement (claim, renew, finish): a statement is
   * atomic by itself, so it runs without the savepoint that isolates multi-statement writes.
   */
  writeOne<T>(fn: () => T): Promise<T> {
    if (--this.#writesUntilCheckpointer === 0) this.#startCheckpointer();
    return this.#writes.submit(fn, true);
  }

  /**
   * Started only once the store is busy: a thread costs tens of milliseconds to start and stop,
   * which a CLI command or a test's throwaway store would pay for nothing.
   */
  #startCheckpointer(): void {
    if (!this.raw.open || this.#closing !== undefined) return;
    this.#checkpointer = new BackgroundCheckpointer(this.#file, this.#checkpointIntervalMs);
    // Now only the fallback (32 MiB of log) in case the thread is gone; see checkpointer.ts.
    this.raw.pragma('wal_autocheckpoint = 8000');
  }

  /** Applies the migrations not yet recorded, all in one transaction; a no-op when none are pending. */
  migrate(migrations: readonly Migration[]): void {
    this.raw
      .transaction(() => {
        this.raw.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
        const applied = new Set((this.raw.prepare('SELECT id FROM schema_migrations').all() as Array<{ id: string }>).map((row) => row.id));
        const known = new Set(migrations.map((m) => m.id));
        const unknown = [...applied].filter((id) => !known.has(id));
        if (unknown.length > 0) {
          throw new AppError(
            'INTERNAL',
            `The database has migrations this version of Weft does not know (${unknown.join(', ')}); run a Weft at least as new as the one that migrated it.`,
          );
        }
        const record = this.raw.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
        for (const migration of migrations) {
          if (applied.has(migration.id)) continue;
          this.raw.exec(migration.sql);
          record.run(migration.id, new Date().toISOString());
        }
      })
      .immediate();
  }

  /** Commits what is queued, stops the checkpointer and closes; later calls share the first. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#checkpointer?.close();
    // Writes queued until now commit; later ones find the connection closed and are refused.
    this.#writes.flushAll();
    this.#statements.clear();
    try {
      // Keeps the planner's statistics current for the next start; cheap when nothing changed.
      this.raw.pragma('optimize');
    } finally {
      this.raw.close();
    }
  }
}
