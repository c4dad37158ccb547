import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { companyLimitsKey } from '../limits/limits.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import { PayloadFiles } from '../store/sqlite/payload-files.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/types.js';
import { customersToCrm } from '../test-support/flows.js';
import { createRetention } from './retention.js';

const DAY_MS = 24 * 3_600_000;

/** A company, a flow and `count` finished runs, each with an input payload and a few log lines. */
async function seed(store: Store, count: number, body: (i: number) => Buffer) {
  const { company } = await store.createCompanyWithAdmin({
    companyName: 'Acme',
    name: 'Ada',
    email: `ada-${randomBytes(4).toString('hex')}@acme.test`,
    passwordHash: 'x',
  });
  const flow = await store.createFlow(company.id, { name: 'F', definition: customersToCrm('http://127.0.0.1:9') });
  const start = async (bytes: Buffer) =>
    (
      await store.createRun(company.id, {
        flowId: flow.id,
        versionId: flow.draftVersionId,
        trigger: 'api',
        priority: 3,
        expedite: false,
        input: { format: 'json', meta: {}, body: bytes },
      })
    ).run;
  const finished: string[] = [];
  for (let i = 0; i < count; i++) {
    const run = await start(body(i));
    await store.claimRun(run.id, 'w', 60_000);
    await store.appendLogs(
      run.id,
      Array.from({ length: 5 }, (_, n) => ({
        stepId: 'map',
        stepName: 'map',
        level: 'info' as const,
        message: `line ${n} ${'x'.repeat(200)}`,
        attempt: 1,
        durationMs: 1,
        payloadIdsIn: [],
        payloadIdsOut: [],
        data: null,
      })),
    );
    await store.finishRun(run.id, 'w', { status: 'success' });
    finished.push(run.id);
  }
  return { companyId: company.id, finished, start };
}

function retention(store: Store, batchSize = 50) {
  return createRetention({ store, runLogRetentionHours: 7 * 24, payloadRetentionHours: 72, intervalMs: 60_000, batchSize });
}

/**
 * Three companies with runs of the same age: `short` keeps logs a day and payloads an hour,
 * `plain` has the defaults (7 days, 72 h), `long` keeps logs 30 days and payloads 10 days.
 */
async function perCompanyWindows(store: Store) {
  const short = await seed(store, 9, () => randomBytes(64));
  const plain = await seed(store, 9, () => randomBytes(64));
  const long = await seed(store, 9, () => randomBytes(64));
  const waiting = await short.start(Buffer.from('{"still":"needed"}'));
  await store.putSetting(
    companyLimitsKey(short.companyId),
    JSON.stringify({ start_rate_per_minute: 5, run_log_retention_hours: 24, payload_retention_hours: 1 }),
  );
  await store.putSetting(
    companyLimitsKey(long.companyId),
    JSON.stringify({ run_log_retention_hours: 30 * 24, payload_retention_hours: 10 * 24 }),
  );
  const r = retention(store, 4);
  const kept = async ({ companyId, finished }: { companyId: string; finished: string[] }) => {
    let logs = 0;
    let payloads = 0;
    for (const id of finished) {
      logs += (await store.listRunLogs(companyId, id)).length;
      const run = await store.getRun(companyId, id);
      if ((await store.getPayload(companyId, run!.inputPayloadId!)) !== undefined) payloads++;
    }
    return { logs, payloads };
  };
  const all = { logs: 45, payloads: 9 };

  // Two hours on: only the short company's payloads are past their window.
  expect(await r.runOnce(new Date(Date.now() + 2 * 3_600_000))).toMatchObject({ runLogsDeleted: 0, payloadsDeleted: 9 });
  expect(await kept(short)).toEqual({ logs: 45, payloads: 0 });
  expect(await kept(plain)).toEqual(all);
  expect(await kept(long)).toEqual(all);
  // Two days on: the short company's logs go too; the others', of the same age, stay.
  expect(await r.runOnce(new Date(Date.now() + 2 * DAY_MS))).toMatchObject({ runLogsDeleted: 45, payloadsDeleted: 0 });
  expect(await kept(short)).toEqual({ logs: 0, payloads: 0 });
  expect(await kept(plain)).toEqual(all);
  // Eight days on: the default window takes the plain company's; the long one keeps everything.
  expect(await r.runOnce(new Date(Date.now() + 8 * DAY_MS))).toMatchObject({ runLogsDeleted: 45, payloadsDeleted: 9 });
  expect(await kept(plain)).toEqual({ logs: 0, payloads: 0 });
  expect(await kept(long)).toEqual(all);
  // A queued run's payload stays under the shortest window, however old.
  expect((await store.getPayloadBody(short.companyId, waiting.inputPayloadId!))?.toString()).toBe('{"still":"needed"}');
  // Forty days on: the long company's windows pass too.
  expect(await r.runOnce(new Date(Date.now() + 40 * DAY_MS))).toMatchObject({ runLogsDeleted: 45, payloadsDeleted: 9 });
  expect(await kept(long)).toEqual({ logs: 0, payloads: 0 });
  expect((await store.getPayloadBody(short.companyId, waiting.inputPayloadId!))?.toString()).toBe('{"still":"needed"}');
}

describe('retention on SQLite', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-retention-'));
    store = createSqliteStore({ file: path.join(dir, 'weft.db'), payloadDir: path.join(dir, 'payloads'), checkpointIntervalMs: 0 });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps what is younger than the settings and deletes what is older, in batches', async () => {
    const { companyId, finished } = await seed(store, 120, () => randomBytes(256));
    const deleted: Array<[string, number]> = [];
    const r = createRetention({
      store,
      runLogRetentionHours: 7 * 24,
      payloadRetentionHours: 72,
      intervalMs: 60_000,
      batchSize: 50,
      onDeleted: (kind, n) => deleted.push([kind, n]),
    });
    expect(await r.runOnce(new Date())).toMatchObject({ runLogsDeleted: 0, payloadsDeleted: 0 });
    // Four days on: payloads (72 h) are gone, logs (7 days) are kept.
    const later = await r.runOnce(new Date(Date.now() + 4 * DAY_MS));
    expect(later).toMatchObject({ runLogsDeleted: 0, payloadsDeleted: 120 });
    const run = await store.getRun(companyId, finished[0]!);
    expect(await store.getPayload(companyId, run!.inputPayloadId!)).toBeUndefined();
    expect(await store.listRunLogs(companyId, finished[0]!)).toHaveLength(5);
    // Eight days on: the logs too. The runs themselves stay.
    expect(await r.runOnce(new Date(Date.now() + 8 * DAY_MS))).toMatchObject({ runLogsDeleted: 600 });
    expect(await store.listRunLogs(companyId, finished[0]!)).toHaveLength(0);
    expect(await store.getRun(companyId, finished[0]!)).toBeDefined();
    // Batches of at most 50 rows each, every one reported.
    expect(deleted.every(([, n]) => n <= 50)).toBe(true);
    expect(deleted.filter(([k]) => k === 'payloads').reduce((t, [, n]) => t + n, 0)).toBe(120);
    expect(deleted.filter(([k]) => k === 'run_logs').length).toBeGreaterThanOrEqual(12);
  });

  it("deletes each company's old logs and payloads by its own window, and others' of the same age by theirs", async () => {
    await perCompanyWindows(store);
  });

  it('never deletes the payloads of a run still queued, however old', async () => {
    const { companyId, start } = await seed(store, 3, () => randomBytes(64));
    const waiting = await start(Buffer.from('{"still":"needed"}'));
    await retention(store).runOnce(new Date(Date.now() + 30 * DAY_MS));
    expect((await store.getPayloadBody(companyId, waiting.inputPayloadId!))?.toString()).toBe('{"still":"needed"}');
  });

  it('removes a payload file only when no payload left names it, after a minute aside', async () => {
    const big = randomBytes(100 * 1024);
    const { companyId, start } = await seed(store, 2, () => big);
    const waiting = await start(big);
    const files = async () => (await readdir(path.join(dir, 'payloads'), { recursive: true })).filter((f) => /[0-9a-f]{64}/.test(f));
    await retention(store).runOnce(new Date(Date.now() + 30 * DAY_MS));
    // The queued run still names the file: it stays.
    expect((await store.getPayloadBody(companyId, waiting.inputPayloadId!))?.equals(big)).toBe(true);
    await store.requestStop(companyId, waiting.id);
    await retention(store).runOnce(new Date(Date.now() + 30 * DAY_MS));
    // Moved aside first (a start committing the same content this instant could still need it)…
    const aside = (await files()).filter((f) => f.startsWith('trash'));
    expect(aside).toHaveLength(1);
    await retention(store).runOnce(new Date(Date.now() + 30 * DAY_MS));
    expect(await files()).toEqual(aside);
    // …and deleted for good by the first pass a minute later (the name carries when it was moved).
    const [name = ''] = aside;
    await rename(path.join(dir, 'payloads', name), path.join(dir, 'payloads', name.replace(/\.\d+$/, `.${Date.now() - 61_000}`)));
    await retention(store).runOnce(new Date(Date.now() + 30 * DAY_MS));
    expect(await files()).toEqual([]);
  });

  it('gives the disk space back: the database file shrinks', async () => {
    // Inline bodies (under 64 KiB) live in the file: about 12 MiB of them.
    await seed(store, 400, () => randomBytes(30 * 1024));
    await store.close();
    const file = path.join(dir, 'weft.db');
    const checkpoint = () => {
      const db = new Database(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    };
    checkpoint();
    const before = (await stat(file)).size;
    expect(before).toBeGreaterThan(12 * 1024 * 1024);
    store = createSqliteStore({ file, payloadDir: path.join(dir, 'payloads'), checkpointIntervalMs: 0 });
    await store.migrate();
    const result = await retention(store).runOnce(new Date(Date.now() + 30 * DAY_MS));
    expect(result.freePagesLeft).toBe(0);
    await store.close();
    checkpoint();
    const after = (await stat(file)).size;
    expect(after).toBeLessThan(before / 4);
    store = createSqliteStore({ file, payloadDir: path.join(dir, 'payloads'), checkpointIntervalMs: 0 });
  });

  it('turns on incremental vacuum for a database made without it, once, when it opens', async () => {
    await store.close();
    const file = path.join(dir, 'old.db');
    const db = new Database(file);
    db.pragma('auto_vacuum = NONE');
    db.exec('CREATE TABLE t (x)');
    db.close();
    store = createSqliteStore({ file, payloadDir: path.join(dir, 'payloads') });
    await store.migrate();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('auto_vacuum', { simple: true })).toBe(2);
    check.close();
  });
});

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;

describe.skipIf(DATABASE_URL === undefined)('retention on PostgreSQL', () => {
  let store: Store;
  let schema: string;
  beforeEach(async () => {
    schema = `weft_test_${randomBytes(6).toString('hex')}`;
    store = createPostgresStore({ connectionString: DATABASE_URL!, schema, poolSize: 4 });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('deletes old logs and payloads in batches, keeping a queued run and a blob it names', async () => {
    const big = randomBytes(100 * 1024);
    const { companyId, finished, start } = await seed(store, 60, (i) => (i % 2 === 0 ? big : randomBytes(128)));
    const waiting = await start(big);
    const r = retention(store);
    expect(await r.runOnce(new Date(Date.now() + 4 * DAY_MS))).toMatchObject({ runLogsDeleted: 0, payloadsDeleted: 60 });
    expect((await store.getPayloadBody(companyId, waiting.inputPayloadId!))?.equals(big)).toBe(true);
    expect(await r.runOnce(new Date(Date.now() + 8 * DAY_MS))).toMatchObject({ runLogsDeleted: 300 });
    expect(await store.listRunLogs(companyId, finished[0]!)).toHaveLength(0);
    await store.requestStop(companyId, waiting.id);
    expect(await r.runOnce(new Date(Date.now() + 8 * DAY_MS))).toMatchObject({ payloadsDeleted: 1 });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".payload_blobs`);
    await admin.end();
    expect(rows[0].n).toBe(0);
  });

  it("deletes each company's old logs and payloads by its own window, and others' of the same age by theirs", async () => {
    await perCompanyWindows(store);
  });
});

describe('payload files moved aside by retention', () => {
  it('stay readable, and go back in place when a payload names them again', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-trash-'));
    try {
      const files = new PayloadFiles(dir);
      const sha = 'ab'.repeat(32);
      await files.write(sha, Buffer.from('body'));
      await files.trash(sha, Date.now() - 61_000);
      expect((await files.read(sha))?.toString()).toBe('body');
      await files.emptyTrash(Date.now(), () => true);
      expect((await readFile(files.pathFor(sha))).toString()).toBe('body');
      await files.trash(sha, Date.now() - 61_000);
      await files.emptyTrash(Date.now(), () => false);
      expect(await files.read(sha)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
