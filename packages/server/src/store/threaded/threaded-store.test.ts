import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@weft/schema';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { StoreHarness } from '../conformance.js';
import { everyConformanceSuite } from '../every-conformance.js';
import type { SqliteStoreOptions } from '../sqlite/sqlite-store.js';
import type { Store } from '../types.js';
import { createThreadedSqliteStore } from './threaded-store.js';

interface ThreadedHarness extends StoreHarness {
  file: string;
}

async function threadedHarness(options: Partial<SqliteStoreOptions> = {}): Promise<ThreadedHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-threaded-store-'));
  const file = join(dir, 'weft.db');
  const opened: Store[] = [];
  const open = () => {
    const store = createThreadedSqliteStore({ file, payloadDir: join(dir, 'payloads'), ...options });
    opened.push(store);
    return store;
  };
  return {
    file,
    separateClock: true,
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

// The same contract as the in-process SQLite store, through the thread.
everyConformanceSuite(
  'sqlite in a thread',
  () => threadedHarness(),
  async (harness, sql) => {
    const db = new Database(harness.file);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  },
);

async function tenant(store: Store) {
  await store.migrate();
  const { company } = await store.createCompanyWithAdmin({ companyName: 'A Ltd', name: 'A', email: 'a@a.test', passwordHash: 'x' });
  return company.id;
}

describe('the threaded store', () => {
  it('rebuilds an AppError with its code and status on the caller side', async () => {
    const h = await threadedHarness();
    try {
      await tenant(h.store);
      const dup = await h.store
        .createCompanyWithAdmin({ companyName: 'B Ltd', name: 'B', email: 'A@a.test', passwordHash: 'x' })
        .catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(AppError);
      expect((dup as AppError).code).toBe('EMAIL_TAKEN');
      expect((dup as AppError).status).toBe(422);
    } finally {
      await h.cleanup();
    }
  });

  it('hands payload bodies back as Buffers, byte for byte, and keeps a "__proto__" meta key as data', async () => {
    const h = await threadedHarness();
    try {
      const companyId = await tenant(h.store);
      const flow = await h.store.createFlow(companyId, {
        name: 'f',
        definition: { format: 'json', steps: [{ id: 'trigger', shape: 'trigger', config: {} }], edges: [] },
      });
      const bytes = Buffer.from([0, 1, 2, 255, 0x7b]);
      const meta = JSON.parse('{"__proto__":"kept as data","a":"b"}') as Record<string, string>;
      const { run } = await h.store.createRun(companyId, {
        flowId: flow.id,
        versionId: flow.draftVersionId,
        trigger: 'manual',
        priority: 3,
        expedite: true,
        input: { format: 'text', meta, body: bytes },
      });
      const body = await h.store.getPayloadBody(companyId, run.inputPayloadId ?? '');
      expect(Buffer.isBuffer(body)).toBe(true);
      expect(body?.equals(bytes)).toBe(true);
      const [loaded] = await h.store.loadPayloads(run.id, [run.inputPayloadId ?? '']);
      expect(Buffer.isBuffer(loaded?.body)).toBe(true);
      expect(Object.getPrototypeOf(loaded?.meta)).toBe(Object.prototype);
      expect(Object.hasOwn(loaded?.meta ?? {}, '__proto__')).toBe(true);
      expect(loaded?.meta.a).toBe('b');
    } finally {
      await h.cleanup();
    }
  });

  it('refuses every call after close with STORAGE_UNAVAILABLE, like a closed connection', async () => {
    const h = await threadedHarness();
    try {
      await tenant(h.store);
      await h.store.close();
      const err = await h.store.getRun('c', 'r').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('STORAGE_UNAVAILABLE');
    } finally {
      await h.cleanup();
    }
  });

  it('fails calls with STORAGE_UNAVAILABLE naming the cause when the thread cannot open the database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-threaded-store-'));
    try {
      // A directory where the database file should be: SQLite cannot open it.
      const store = createThreadedSqliteStore({ file: dir, payloadDir: join(dir, 'payloads') });
      const err = await store.migrate().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('STORAGE_UNAVAILABLE');
      expect((err as AppError).message).toMatch(/store thread stopped/);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers a method the store does not have with a TypeError, as calling it would', async () => {
    const h = await threadedHarness();
    try {
      const store = h.store as unknown as { noSuchMethod(): Promise<unknown> };
      await expect(store.noSuchMethod()).rejects.toThrow(TypeError);
    } finally {
      await h.cleanup();
    }
  });
});
