import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StoreHarness, storeConformanceSuite } from '../conformance.js';
import { everyConformanceSuite } from '../every-conformance.js';
import type { Store } from '../types.js';
import { postgresMigrations } from './migrations.js';
import { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;

interface PostgresHarness extends StoreHarness {
  schema: string;
  /** Another store (its own pool) on the same schema. */
  open(options?: Partial<PostgresStoreOptions>): Store;
  /** A plain connection for looking at (or interfering with) what the store did. */
  admin: pg.Client;
}

/** A store on a fresh schema of its own, dropped with everything in it by cleanup(). */
async function postgresHarness(url: string, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresHarness> {
  const schema = `weft_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`SET search_path TO "${schema}"`);
  const opened: Store[] = [];
  const open = (extra: Partial<PostgresStoreOptions> = {}) => {
    const store = createPostgresStore({ connectionString: url, schema, poolSize: 4, ...options, ...extra });
    opened.push(store);
    return store;
  };
  return {
    schema,
    admin,
    open,
    store: open(),
    async reopen() {
      return open();
    },
    async cleanup() {
      for (const store of opened) await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

if (DATABASE_URL === undefined) {
  // One visible skip rather than a hundred: the suite needs a real server.
  it.skip('PostgreSQL store: runs only when WEFT_TEST_DATABASE_URL names a database (e.g. postgres://postgres@127.0.0.1:5432/test)', () => {});
} else {
  const url = DATABASE_URL;
  everyConformanceSuite(
    'postgres',
    () => postgresHarness(url),
    (harness, sql) => harness.admin.query(sql),
  );
  // Every non-empty payload goes to payload_blobs: the other path of each body.
  storeConformanceSuite('postgres, payloads in blobs', () => postgresHarness(url, { inlinePayloadMaxBytes: 0 }));
  describe('PostgreSQL store', () => {
    let harness: PostgresHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await postgresHarness(url, { inlinePayloadMaxBytes: 1024 });
      store = harness.store;
      await store.migrate();
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    async function acme(target: Store = store) {
      const { company } = await target.createCompanyWithAdmin({
        companyName: 'Acme',
        name: 'A',
        email: `a-${Math.random()}@acme.test`,
        passwordHash: 'h',
      });
      const flow = await target.createFlow(company.id, { name: 'F', definition: { steps: [], edges: [] } });
      const start = (body: Buffer, on: Store = target) =>
        on.createRun(company.id, {
          flowId: flow.id,
          versionId: flow.draftVersionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: { format: 'json', meta: {}, body },
        });
      return { companyId: company.id, start };
    }

    const inSchema = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
      (await harness.admin.query<R>(text, values)).rows;

    it('keeps every table inside its schema and records each migration once however often it migrates', async () => {
      await store.migrate();
      await store.migrate();
      const other = harness.open();
      await Promise.all([other.migrate(), store.migrate()]);
      const ids = await harness.admin.query(`SELECT id FROM "${harness.schema}".schema_migrations ORDER BY id`);
      expect(ids.rows).toEqual(postgresMigrations.map((m) => ({ id: m.id })));
      const tables = await harness.admin.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('runs', 'payload_blobs')",
        [harness.schema],
      );
      expect(tables.rows.map((r) => r.table_name).sort()).toEqual(['payload_blobs', 'runs']);
    });

    it('refuses a database migrated by a newer version of Weft', async () => {
      await harness.admin.query(
        `INSERT INTO "${harness.schema}".schema_migrations (id, applied_at) VALUES ('999_future', '2030-01-01T00:00:00.000Z')`,
      );
      await expect(store.migrate()).rejects.toThrow(/999_future/);
    });

    it('two stores with their own pools on one schema share data, and a run one claimed the other cannot claim', async () => {
      const other = harness.open();
      await other.migrate();
      const { companyId, start } = await acme();
      const { run } = await start(Buffer.from('{}'), other);
      expect((await store.getRun(companyId, run.id))?.status).toBe('queued');
      expect((await store.listRunnable(10)).map((r) => r.id)).toEqual([run.id]);

      const claims = await Promise.all([store.claimRun(run.id, 'w1', 60_000), other.claimRun(run.id, 'w2', 60_000)]);
      const winner = claims.findIndex((c) => c !== undefined);
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
      const [owner, loser] = winner === 0 ? (['w1', other] as const) : (['w2', store] as const);
      expect(await loser.claimRun(run.id, 'w3', 60_000)).toBeUndefined();
      expect(await loser.finishRun(run.id, 'w3', { status: 'success' })).toBe(false);
      expect((await other.getRun(companyId, run.id))?.leaseOwner).toBe(owner);
    });

    it('many starts from two processes with one idempotency key create exactly one run', async () => {
      const other = harness.open();
      const { companyId, start } = await acme();
      const { run: first } = await start(Buffer.from('{}'));
      const flow = { flowId: first.flowId, versionId: first.versionId };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : other).createRun(companyId, {
            ...flow,
            trigger: 'api',
            priority: 3,
            expedite: false,
            input: { format: 'json', meta: {}, body: Buffer.from('{"same":1}') },
            idempotency: { key: 'k', requestHash: 'h' },
          }),
        ),
      );
      expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    });

    it('keeps small bodies in the row and a large body once in payload_blobs, however many payloads share it', async () => {
      const { companyId, start } = await acme();
      const small = await start(Buffer.from('{"small":true}'));
      const big = randomBytes(4096);
      const first = await start(big);
      const second = await start(big);
      const rows = await inSchema<{ id: string; inline: boolean }>('SELECT id, body IS NOT NULL AS inline FROM payloads ORDER BY id');
      expect(rows).toEqual([
        { id: small.run.inputPayloadId, inline: true },
        { id: first.run.inputPayloadId, inline: false },
        { id: second.run.inputPayloadId, inline: false },
      ]);
      expect(await inSchema('SELECT bytes FROM payload_blobs')).toEqual([{ bytes: '4096' }]);
      expect((await store.getPayloadBody(companyId, second.run.inputPayloadId ?? ''))?.equals(big)).toBe(true);
    });

    it('reports a payload whose blob is gone as expired', async () => {
      const { companyId, start } = await acme();
      const { run } = await start(randomBytes(4096));
      await inSchema('DELETE FROM payload_blobs');
      await expect(store.getPayloadBody(companyId, run.inputPayloadId ?? '')).rejects.toMatchObject({ code: 'PAYLOAD_EXPIRED' });
      await expect(store.loadPayloads(run.id, [run.inputPayloadId ?? ''])).rejects.toMatchObject({ code: 'PAYLOAD_EXPIRED' });
    });

    it('keeps list totals in run_counts as runs change status', async () => {
      const { companyId, start } = await acme();
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push((await start(Buffer.from('{}'))).run);
      for (const run of runs.slice(0, 3)) await store.claimRun(run.id, 'w', 60_000);
      await store.finishRun(runs[0]?.id ?? '', 'w', { status: 'success' });
      await store.releaseRun(runs[1]?.id ?? '', 'w');
      const counts = await inSchema<{ status: string; n: string }>(
        'SELECT status, sum(runs) AS n FROM run_counts GROUP BY status ORDER BY status',
      );
      expect(counts).toEqual([
        { status: 'queued', n: '3' },
        { status: 'running', n: '1' },
        { status: 'success', n: '1' },
      ]);
      expect((await store.listRuns(companyId, { status: ['queued'] }, '-queued_at', { page: 1, perPage: 10 })).total).toBe(3);
    });

    it('answers STORAGE_UNAVAILABLE when the server cannot be reached', async () => {
      const unreachable = createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: 'weft_unreachable' });
      try {
        await expect(unreachable.getSetting('x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
        await expect(unreachable.migrate()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      } finally {
        await unreachable.close();
      }
    });

    it('answers STORAGE_UNAVAILABLE when its connection is terminated mid-query, and recovers with a new one', async () => {
      await store.initSetting('x', 'before');
      // Another session holds the settings table, so the store's query waits inside the server;
      // then the server ends that backend, as a restart or an administrator would.
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${harness.schema}".settings IN ACCESS EXCLUSIVE MODE`);
        const waiting = store.getSetting('x');
        const outcome = waiting.then(
          () => 'answered',
          (err: unknown) => err,
        );
        let terminated = 0;
        for (let i = 0; i < 100 && terminated === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const res = await harness.admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'weft' AND wait_event_type = 'Lock' AND query LIKE '%FROM settings%'`,
          );
          terminated = res.rowCount ?? 0;
        }
        expect(terminated).toBe(1);
        expect(await outcome).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      expect(await store.getSetting('x')).toBe('before');
    });

    it('answers STORAGE_UNAVAILABLE once closed', async () => {
      await store.close();
      await expect(store.getSetting('x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(store.initSetting('x', 'y')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    });

    it('refuses a schema name that is not a plain identifier', () => {
      expect(() => createPostgresStore({ connectionString: url, schema: 'a"; DROP TABLE x; --' })).toThrow(/plain identifier/);
    });
  });
}
