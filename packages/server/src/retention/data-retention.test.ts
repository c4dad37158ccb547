import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createRetention } from './retention.js';

const DAY_MS = 24 * 3600 * 1000;

describe('retention of caches and data pools', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-data-retention-'));
    store = createSqliteStore({ file: path.join(dir, 'weft.db'), payloadDir: path.join(dir, 'payloads'), checkpointIntervalMs: 0 });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('deletes expired cache entries and values unseen for 90 days in batches, with logs and payloads kept forever', async () => {
    const soon = new Date(Date.now() + 1000).toISOString();
    const run = { companyId: 'co', name: 'scratch', scope: 'run' as const, scopeId: 'run-1' };
    for (let i = 0; i < 7; i++) {
      await store.putCacheEntry(run, {
        key: `k${i}`,
        format: 'json',
        body: Buffer.from('[1]'),
        meta: {},
        expiresAt: soon,
        append: false,
        maxBytes: 1000,
      });
    }
    await store.seeDataPoolValues('co', 'pool', ['a', 'b', 'c'], { track: true, opKey: 'op' });
    const r = createRetention({ store, runLogRetentionHours: 0, payloadRetentionHours: 0, intervalMs: 60_000, batchSize: 3 });
    expect(await r.runOnce(new Date())).toMatchObject({ expiredDataDeleted: 0 });
    expect(await r.runOnce(new Date(Date.now() + 91 * DAY_MS))).toMatchObject({
      expiredDataDeleted: 10,
      runLogsDeleted: 0,
      payloadsDeleted: 0,
    });
    expect((await store.listCaches('co', {}, { page: 1, perPage: 10 })).total).toBe(0);
    expect((await store.listDataPools('co', {}, { page: 1, perPage: 10 })).rows[0]?.valuesCount).toBe(0);
  });
});
