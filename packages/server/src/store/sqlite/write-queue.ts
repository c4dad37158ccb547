import type Database from 'better-sqlite3';

interface PendingWrite {
  fn: () => unknown;
  /** One statement, atomic by itself: it needs no savepoint of its own. */
  single: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Enough to amortise the commit, small enough not to hold the event loop for long. */
const MAX_BATCH = 512;

/**
 * Group commit. A SQLite commit costs a write of every page the transaction touched (each index
 * of runs is one), and at thousands of runs per second those writes, not the statements, are the
 * bottleneck. So writes queued during one turn of the event loop run together in one IMMEDIATE
 * transaction, each inside its own savepoint: one failing write rolls back alone and rejects
 * alone; the others commit. Every caller's promise settles only after the COMMIT, so a resolved
 * write is as durable as if it had committed on its own; a failed COMMIT rejects them all.
 *
 * Each write is still a single synchronous piece of work, so it is atomic and sees the writes
 * queued before it (two creates with one idempotency key in the same batch: the second replays).
 */
export class WriteQueue {
  readonly #db: Database.Database;
  readonly #inSavepoint: (fn: () => unknown) => unknown;
  readonly #inTransaction: Database.Transaction<(batch: PendingWrite[]) => Outcome[]>;
  #pending: PendingWrite[] = [];
  #scheduled = false;

  constructor(db: Database.Database) {
    this.#db = db;
    // Called inside the outer transaction, a better-sqlite3 transaction function is a savepoint.
    this.#inSavepoint = db.transaction((fn: () => unknown) => fn());
    this.#inTransaction = db.transaction((batch: PendingWrite[]) => batch.map((write) => this.#runOne(write)));
  }

  submit<T>(fn: () => T, single = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, single, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate, not a microtask: it runs after the poll phase, so the writes of every
        // request that arrived in this turn join the batch.
        setImmediate(() => this.#flush());
      }
    });
  }

  #runOne(write: PendingWrite): Outcome {
    try {
      // A single statement that fails undoes its own changes (SQLite's statement journal), so
      // only writes of several statements pay for SAVEPOINT and RELEASE.
      return { ok: true, value: write.single ? write.fn() : this.#inSavepoint(write.fn) };
    } catch (error) {
      // Some errors (disk full, I/O) make SQLite roll back the whole transaction; then nothing
      // of this batch can commit, and the outer transaction must fail for everyone.
      if (!this.#db.inTransaction) throw error;
      return { ok: false, error };
    }
  }

  /** Commits everything queued now, synchronously (before the connection closes). */
  flushAll(): void {
    while (this.#pending.length > 0) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0) {
      this.#scheduled = false;
      return;
    }
    const batch = this.#pending.length > MAX_BATCH ? this.#pending.splice(0, MAX_BATCH) : this.#pending.splice(0);
    if (this.#pending.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;

    let outcomes: Outcome[];
    try {
      outcomes = this.#db.open ? this.#inTransaction.immediate(batch) : batch.map(() => ({ ok: false, error: closedError() }));
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(outcome?.error);
    });
  }
}

function closedError(): TypeError {
  // The same error better-sqlite3 throws for a closed connection, so callers map it one way.
  return new TypeError('The database connection is not open');
}
