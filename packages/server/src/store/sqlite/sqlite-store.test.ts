import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StoreHarness, storeConformanceSuite } from '../conformance.js';
import { everyConformanceSuite } from '../every-conformance.js';
import type { Store } from '../types.js';
import { sqliteMigrations } from './migrations.js';
import { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

interface SqliteHarness extends StoreHarness {
  dir: string;
  file: string;
  payloadDir: string;
}

async function sqliteHarness(options: Partial<SqliteStoreOptions> = {}): Promise<SqliteHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-store-'));
  const file = join(dir, 'weft.db');
  const payloadDir = join(dir, 'payloads');
  const opened: Store[] = [];
  const open = () => {
    const store = createSqliteStore({ file, payloadDir, ...options });
    opened.push(store);
    return store;
  };
  return {
    dir,
    file,
    payloadDir,
    store: open(),
    async reopen() {
      return open();
    },
    async cleanup() {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SQL behind the store's back, on a connection of its own. */
async function rawSqlite(harness: SqliteHarness, sql: string): Promise<void> {
  const db = new Database(harness.file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

everyConformanceSuite('sqlite', () => sqliteHarness(), rawSqlite);
// Every non-empty payload goes to a file, and the writer checkpoints its own WAL: the other path of each.
storeConformanceSuite('sqlite, payloads in files, no background checkpoints', () =>
  sqliteHarness({ inlinePayloadMaxBytes: 0, checkpointIntervalMs: 0 }),
);

describe('SQLite store', () => {
  let harness: SqliteHarness;
  let store: Store;

  beforeEach(async () => {
    harness = await sqliteHarness({ inlinePayloadMaxBytes: 1024 });
    store = harness.store;
    await store.migrate();
  });

  afterEach(async () => {
    await harness.cleanup();
  });

  async function acmeRun(body: Buffer) {
    const { company } = await store.createCompanyWithAdmin({
      companyName: 'Acme',
      name: 'A',
      email: `a-${Math.random()}@acme.test`,
      passwordHash: 'h',
    });
    const flow = await store.createFlow(company.id, { name: 'F', definition: { steps: [], edges: [] } });
    const start = (input: Buffer) =>
      store.createRun(company.id, {
        flowId: flow.id,
        versionId: flow.draftVersionId,
        trigger: 'api',
        priority: 3,
        expedite: false,
        input: { format: 'json', meta: {}, body: input },
      });
    const { run } = await start(body);
    return { companyId: company.id, run, start };
  }

  /** A second connection to the file, for looking at what the store wrote. */
  function inspect<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(harness.file, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  it('creates the database in WAL mode with incremental auto-vacuum', () => {
    inspect((db) => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // 2 = INCREMENTAL: retention can hand disk space back without a full VACUUM.
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    });
  });

  it('records each migration once however often it migrates', async () => {
    await store.migrate();
    await store.migrate();
    const ids = inspect((db) => db.prepare('SELECT id FROM schema_migrations').pluck().all());
    expect(ids).toEqual(sqliteMigrations.map((m) => m.id));
    expect(ids).toContain('001_init');
  });

  it('refuses a database migrated by a newer version of Weft', async () => {
    const db = new Database(harness.file);
    db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES ('999_future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    await expect(store.migrate()).rejects.toThrow(/999_future/);
  });

  it('keeps small payloads inside the database and writes no file for them', async () => {
    const { run } = await acmeRun(Buffer.from('{"small":true}'));
    const row = inspect((db) => db.prepare('SELECT body FROM payloads WHERE id = ?').get(run.inputPayloadId) as { body: Buffer | null });
    expect(row.body?.toString()).toBe('{"small":true}');
    expect(await readdir(harness.payloadDir).catch(() => [])).toEqual([]);
  });

  it('writes a large payload once per content, named by its hash, with no temporary file left', async () => {
    const big = randomBytes(4096);
    const sha = createHash('sha256').update(big).digest('hex');
    const { run, start } = await acmeRun(big);
    const { run: again } = await start(big);

    const file = join(harness.payloadDir, sha.slice(0, 2), sha);
    expect((await readFile(file)).equals(big)).toBe(true);
    expect(await readdir(join(harness.payloadDir, sha.slice(0, 2)))).toEqual([sha]);
    expect(await readdir(join(harness.payloadDir, 'tmp'))).toEqual([]);
    const rows = inspect((db) =>
      db.prepare('SELECT sha256, body FROM payloads WHERE id IN (?, ?)').all(run.inputPayloadId, again.inputPayloadId),
    );
    expect(rows).toEqual([
      { sha256: sha, body: null },
      { sha256: sha, body: null },
    ]);
  });

  it('creates no run when the payload file cannot be written', async () => {
    const { companyId, start } = await acmeRun(Buffer.from('{}'));
    // A file where the payload directory's shard should be: the write fails before any row exists.
    await rm(harness.payloadDir, { recursive: true, force: true });
    await writeFile(harness.payloadDir, 'not a directory');
    await expect(start(randomBytes(4096))).rejects.toThrow();
    expect((await store.listRuns(companyId, {}, '-queued_at', { page: 1, perPage: 10 })).total).toBe(1);
  });

  it('rewrites a payload file that was damaged when the same content comes again', async () => {
    const big = randomBytes(4096);
    const sha = createHash('sha256').update(big).digest('hex');
    const { companyId, start } = await acmeRun(big);
    await writeFile(join(harness.payloadDir, sha.slice(0, 2), sha), big.subarray(0, 100));
    const { run } = await start(big);
    expect((await store.getPayloadBody(companyId, run.inputPayloadId ?? ''))?.equals(big)).toBe(true);
  });

  it('reports a payload whose file is gone as expired', async () => {
    const big = randomBytes(4096);
    const sha = createHash('sha256').update(big).digest('hex');
    const { companyId, run } = await acmeRun(big);
    await rm(join(harness.payloadDir, sha.slice(0, 2), sha));
    await expect(store.getPayloadBody(companyId, run.inputPayloadId ?? '')).rejects.toMatchObject({ code: 'PAYLOAD_EXPIRED' });
  });

  it('removes temporary files left by a crash, but only old ones, when it starts', async () => {
    const tmp = join(harness.payloadDir, 'tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'old'), 'partial');
    await writeFile(join(tmp, 'fresh'), 'being written by another process');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(tmp, 'old'), twoHoursAgo, twoHoursAgo);
    await store.migrate();
    expect(await readdir(tmp)).toEqual(['fresh']);
  });

  it('two stores on one file see each other’s committed writes', async () => {
    const { companyId, run } = await acmeRun(Buffer.from('{}'));
    const other = await harness.reopen();
    await other.migrate();
    expect((await other.getRun(companyId, run.id))?.status).toBe('queued');
    await other.claimRun(run.id, 'w1', 60_000);
    expect((await store.getRun(companyId, run.id))?.status).toBe('running');
  });

  it('once busy, checkpoints the WAL into the database file in the background', async () => {
    const busy = await harness.reopen();
    await store.close();
    await Promise.all(Array.from({ length: 1100 }, (_, i) => busy.initSetting(`key-${i}`, 'v')));
    // Few pages of log, far below the writer's own checkpoint threshold: only the background
    // thread moves them into the main file, which a copy without the -wal file shows.
    const copy = join(harness.dir, 'copy.db');
    const settingsInMainFile = async () => {
      await writeFile(copy, await readFile(harness.file));
      const db = new Database(copy, { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM settings').pluck().get();
      } catch {
        return 0;
      } finally {
        db.close();
      }
    };
    let seen: unknown = 0;
    for (let i = 0; i < 100 && seen !== 1100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = await settingsInMainFile();
    }
    expect(seen).toBe(1100);
  });

  it('answers STORAGE_UNAVAILABLE once closed', async () => {
    await store.close();
    await expect(store.getSetting('x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await expect(store.initSetting('x', 'y')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  it('a write racing close is either stored or refused, never acknowledged and lost', async () => {
    const { companyId, start } = await acmeRun(Buffer.from('{}'));
    const racing = start(Buffer.from('{"racing":true}'));
    await store.close();
    const outcome = await racing.then(
      (result) => ({ stored: result.run.id }),
      (err: unknown) => ({ refused: err }),
    );
    const reopened = await harness.reopen();
    await reopened.migrate();
    const total = (await reopened.listRuns(companyId, {}, '-queued_at', { page: 1, perPage: 10 })).total;
    if ('stored' in outcome) {
      expect(total).toBe(2);
      expect(await reopened.getRun(companyId, outcome.stored)).toBeDefined();
    } else {
      expect(outcome.refused).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect(total).toBe(1);
    }
  });
});
