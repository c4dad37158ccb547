import { AppError } from '@weft/schema';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreHarness } from './conformance.js';
import { skipWhenClockIsSeparate } from './conformance.js';
import type { CacheAddress, CacheWrite } from './data-types.js';
import type { Store } from './types.js';

const DAY_MS = 24 * 3600 * 1000;
const page = { page: 1, perPage: 50 };

function write(key: string, body: string, extra: Partial<CacheWrite> = {}): CacheWrite {
  return { key, format: 'json', body: Buffer.from(body), meta: { m: '1' }, expiresAt: null, append: false, maxBytes: 1_000_000, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/**
 * The caches, data pools and tracked data part of the Store contract, run by each adapter's test
 * file. Concurrency is tested with several stores on one database (separate connections), as
 * several worker processes would use it.
 */
export function dataConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, caches, data pools and tracked data: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    const flowCache: CacheAddress = { companyId: 'co-a', name: 'orders', scope: 'flow', scopeId: 'flow-1' };

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
    });

    afterEach(async () => {
      vi.useRealTimers();
      await harness.cleanup();
    });

    describe('caches', () => {
      it('stores an entry under its key and reads it back, only in its own cache, scope and company', async () => {
        await store.putCacheEntry(flowCache, write('k1', '{"a":1}', { format: 'json', meta: { page: '2' } }));
        const entry = await store.getCacheEntry(flowCache, 'k1');
        expect(entry?.body.toString()).toBe('{"a":1}');
        expect(entry).toMatchObject({ key: 'k1', format: 'json', meta: { page: '2' }, bytes: 7, expiresAt: null });
        expect(await store.getCacheEntry({ ...flowCache, scopeId: 'flow-2' }, 'k1')).toBeUndefined();
        expect(await store.getCacheEntry({ ...flowCache, scope: 'company', scopeId: '' }, 'k1')).toBeUndefined();
        expect(await store.getCacheEntry({ ...flowCache, companyId: 'co-b' }, 'k1')).toBeUndefined();
        expect(await store.getCacheEntry(flowCache, 'k2')).toBeUndefined();
      });

      it('replaces an entry on a second write and keeps the cache totals right', async () => {
        await store.putCacheEntry(flowCache, write('k1', '[1,2,3]'));
        await store.putCacheEntry(flowCache, write('k2', '"xy"'));
        await store.putCacheEntry(flowCache, write('k1', '[9]', { format: 'csv' }));
        expect((await store.getCacheEntry(flowCache, 'k1'))?.body.toString()).toBe('[9]');
        const [info] = (await store.listCaches('co-a', {}, page)).rows;
        expect(info).toMatchObject({ name: 'orders', scope: 'flow', scopeId: 'flow-1', entries: 2, bytes: 3 + 4 });
      });

      it('appends the elements of a JSON array to the stored array, and refuses to append to anything else', async () => {
        await store.putCacheEntry(flowCache, write('list', '[1]', { append: true }));
        await store.putCacheEntry(flowCache, write('list', '[]', { append: true }));
        await store.putCacheEntry(flowCache, write('list', '[2,{"b":[3]}]', { append: true }));
        expect(JSON.parse((await store.getCacheEntry(flowCache, 'list'))!.body.toString())).toEqual([1, 2, { b: [3] }]);
        // Arrays written by hand, with spaces and line breaks, take appends as well.
        await store.putCacheEntry(flowCache, write('spaced', '[1, 2]\n'));
        await store.putCacheEntry(flowCache, write('spaced', '[3]', { append: true }));
        await store.putCacheEntry(flowCache, write('blank', '[ ]'));
        await store.putCacheEntry(flowCache, write('blank', '[4]', { append: true }));
        await store.putCacheEntry(flowCache, write('blank', '[5]', { append: true }));
        expect(JSON.parse((await store.getCacheEntry(flowCache, 'spaced'))!.body.toString())).toEqual([1, 2, 3]);
        expect(JSON.parse((await store.getCacheEntry(flowCache, 'blank'))!.body.toString())).toEqual([4, 5]);
        const totals = (await store.listCaches('co-a', {}, page)).rows[0]!;
        const sizes = await Promise.all(['list', 'spaced', 'blank'].map(async (k) => (await store.getCacheEntry(flowCache, k))!.bytes));
        expect(totals.bytes).toBe(sizes.reduce((a, b) => a + b, 0));
        await store.putCacheEntry(flowCache, write('csv', '[x]', { format: 'csv' }));
        expect((await rejection(store.putCacheEntry(flowCache, write('csv', '[1]', { append: true })))).code).toBe(
          'PAYLOAD_STRUCTURE_ERROR',
        );
        await store.putCacheEntry(flowCache, write('object', '{"a":1}'));
        const err = await rejection(store.putCacheEntry(flowCache, write('object', '[1]', { append: true })));
        expect(err.code).toBe('PAYLOAD_STRUCTURE_ERROR');
        expect(err.message).toContain('not a JSON array');
        expect((await store.getCacheEntry(flowCache, 'object'))?.body.toString()).toBe('{"a":1}');
      });

      it('applies an append with the same op key once, so a retried step does not duplicate', async () => {
        await store.putCacheEntry(flowCache, write('list', '[1]', { append: true, opKey: 'run:step#0:0' }));
        await store.putCacheEntry(flowCache, write('list', '[1]', { append: true, opKey: 'run:step#0:0' }));
        await store.putCacheEntry(flowCache, write('list', '[2]', { append: true, opKey: 'run:step#0:1' }));
        expect((await store.getCacheEntry(flowCache, 'list'))?.body.toString()).toBe('[1,2]');
      });

      it('treats an expired entry as missing and drops it from the totals on the next write', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.parse('2026-11-01T00:00:00Z');
        vi.setSystemTime(start);
        await store.putCacheEntry(flowCache, write('short', '[1]', { expiresAt: new Date(start + 60_000).toISOString() }));
        await store.putCacheEntry(flowCache, write('long', '[2]'));
        expect(await store.getCacheEntry(flowCache, 'short')).toBeDefined();
        vi.setSystemTime(start + 61_000);
        expect(await store.getCacheEntry(flowCache, 'short')).toBeUndefined();
        expect((await store.findCacheEntries(flowCache, '', 10)).map((e) => e.key)).toEqual(['long']);
        await store.putCacheEntry(flowCache, write('other', '[3]'));
        const info = (await store.listCaches('co-a', {}, page)).rows[0];
        expect(info).toMatchObject({ entries: 2, bytes: 6 });
      });

      it('refuses a write that would pass the cap with CACHE_FULL and leaves the cache as it was', async () => {
        await store.putCacheEntry(flowCache, write('a', '[1,2,3,4]', { append: true, maxBytes: 20 }));
        const err = await rejection(store.putCacheEntry(flowCache, write('a', '[5,6,7,8,9,10,11]', { append: true, maxBytes: 20 })));
        expect(err.code).toBe('CACHE_FULL');
        expect(err.retryable).toBe(false);
        expect(err.message).toContain('nothing was written');
        expect((await store.getCacheEntry(flowCache, 'a'))?.body.toString()).toBe('[1,2,3,4]');
        await rejection(store.putCacheEntry(flowCache, write('b', '"0123456789abcdef"', { maxBytes: 20 })));
        expect(await store.getCacheEntry(flowCache, 'b')).toBeUndefined();
        // A new cache whose first write is too large is not created either.
        await rejection(store.putCacheEntry({ ...flowCache, name: 'new' }, write('a', '[1,2,3]', { maxBytes: 2 })));
        expect((await store.listCaches('co-a', {}, page)).rows.map((c) => [c.name, c.bytes])).toEqual([['orders', 9]]);
        // Replacing an entry counts only the new body.
        await store.putCacheEntry(flowCache, write('a', '[1,2,3,4,5,6,7,8,9]', { maxBytes: 20 }));
      });

      it('loses no append and duplicates none when many writers append to one entry at once', async () => {
        const stores = [store, await harness.reopen(), await harness.reopen()];
        const writes = Array.from({ length: 30 }, (_, i) =>
          stores[i % stores.length]!.putCacheEntry(flowCache, write('shared', `[${i}]`, { append: true, opKey: `op-${i}` })),
        );
        // The same op key again, concurrently: applied once.
        writes.push(stores[1]!.putCacheEntry(flowCache, write('shared', '[0]', { append: true, opKey: 'op-0' })));
        await Promise.all(writes);
        const items = JSON.parse((await store.getCacheEntry(flowCache, 'shared'))!.body.toString()) as number[];
        expect(items.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
        const info = (await store.listCaches('co-a', {}, page)).rows[0];
        expect(info?.bytes).toBe(Buffer.byteLength(JSON.stringify(items)));
      });

      it('finds entries by key prefix in key order', async () => {
        for (const key of ['page-2', 'page-1', 'other', 'page-10']) await store.putCacheEntry(flowCache, write(key, `"${key}"`));
        expect((await store.findCacheEntries(flowCache, 'page-', 10)).map((e) => e.key)).toEqual(['page-1', 'page-10', 'page-2']);
        expect((await store.findCacheEntries(flowCache, 'page-', 2)).length).toBe(2);
        expect(await store.findCacheEntries({ ...flowCache, name: 'none' }, '', 10)).toEqual([]);
      });

      it('lists, inspects and clears caches of the company only', async () => {
        await store.putCacheEntry(flowCache, write('k1', '[1]'));
        await store.putCacheEntry(flowCache, write('k2', '[2]'));
        await store.putCacheEntry({ ...flowCache, scope: 'company', scopeId: '' }, write('k1', '[1]'));
        await store.putCacheEntry({ ...flowCache, companyId: 'co-b' }, write('k1', '[1]'));
        const listed = await store.listCaches('co-a', {}, page);
        expect(listed.total).toBe(2);
        expect((await store.listCaches('co-a', { scope: ['company'] }, page)).rows.map((c) => c.scope)).toEqual(['company']);
        const id = listed.rows.find((c) => c.scope === 'flow')!.id;
        expect(await store.getCache('co-b', id)).toBeUndefined();
        expect(await store.listCacheEntries('co-b', id, page)).toBeUndefined();
        expect((await store.listCacheEntries('co-a', id, page))?.rows.map((e) => e.key)).toEqual(['k1', 'k2']);
        expect((await store.getCacheEntryById('co-a', id, 'k2'))?.body.toString()).toBe('[2]');
        expect(await store.getCacheEntryById('co-b', id, 'k2')).toBeUndefined();
        expect(await store.deleteCacheEntry('co-b', id, 'k2')).toBe(false);
        expect(await store.deleteCacheEntry('co-a', id, 'k2')).toBe(true);
        expect(await store.getCache('co-a', id)).toMatchObject({ entries: 1, bytes: 3 });
        expect(await store.deleteCache('co-b', id)).toBe(false);
        expect(await store.deleteCache('co-a', id)).toBe(true);
        expect(await store.getCacheEntry(flowCache, 'k1')).toBeUndefined();
        expect((await store.listCaches('co-a', {}, page)).total).toBe(1);
      });
    });

    describe('retention', () => {
      it('purges expired cache entries and old pool values in batches, keeping totals right and dropping emptied run caches', async ({
        skip,
      }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.parse('2026-03-01T00:00:00Z');
        vi.setSystemTime(start);
        const soon = new Date(start + 60_000).toISOString();
        const runCache: CacheAddress = { companyId: 'co-a', name: 'scratch', scope: 'run', scopeId: 'run-1' };
        for (const key of ['a', 'b', 'c']) await store.putCacheEntry(runCache, write(key, '[1]', { expiresAt: soon }));
        await store.putCacheEntry(flowCache, write('old', '[1,2]', { expiresAt: soon }));
        await store.putCacheEntry(flowCache, write('kept', '[3]'));
        await store.seeDataPoolValues('co-a', 'p', ['old'], { track: true, opKey: 'op1' });
        vi.setSystemTime(start + 10 * DAY_MS);
        await store.seeDataPoolValues('co-a', 'p', ['recent'], { track: true, opKey: 'op2' });
        expect(await store.purgeExpiredData(new Date(start + 30_000).toISOString(), 100)).toEqual({ cacheEntries: 0, poolValues: 0 });

        const later = new Date(start + 95 * DAY_MS).toISOString();
        const first = await store.purgeExpiredData(later, 2);
        expect(first.poolValues).toBe(1);
        let total = first.cacheEntries;
        for (let i = 0; i < 5 && total < 4; i++) total += (await store.purgeExpiredData(later, 2)).cacheEntries;
        expect(total).toBe(4);
        expect(await store.purgeExpiredData(later, 2)).toEqual({ cacheEntries: 0, poolValues: 0 });
        const caches = (await store.listCaches('co-a', {}, page)).rows;
        expect(caches.map((c) => [c.name, c.entries, c.bytes])).toEqual([['orders', 1, 3]]);
        vi.setSystemTime(start + 95 * DAY_MS);
        expect(await store.seeDataPoolValues('co-a', 'p', ['old', 'recent'], { track: false, opKey: 'x' })).toEqual([true, false]);
      });
    });

    describe('data pools', () => {
      it('creates, lists, renames and deletes pools of the company only; names are unique per company', async () => {
        const pool = await store.createDataPool('co-a', { name: 'orders', description: 'seen orders' });
        expect(pool).toMatchObject({ name: 'orders', description: 'seen orders', valuesCount: 0 });
        await store.createDataPool('co-b', { name: 'orders' });
        const taken = await rejection(store.createDataPool('co-a', { name: 'orders' }));
        expect(taken.code).toBe('CONFLICT');
        expect((await store.listDataPools('co-a', {}, page)).rows.map((p) => p.name)).toEqual(['orders']);
        expect(await store.getDataPool('co-b', pool.id)).toBeUndefined();
        expect(await store.updateDataPool('co-b', pool.id, { name: 'x' })).toBeUndefined();
        await store.createDataPool('co-a', { name: 'other' });
        expect((await rejection(store.updateDataPool('co-a', pool.id, { name: 'other' }))).code).toBe('CONFLICT');
        expect(await store.updateDataPool('co-a', pool.id, { name: 'renamed' })).toMatchObject({
          name: 'renamed',
          description: 'seen orders',
        });
        expect((await store.listDataPools('co-a', { name: 'renamed' }, page)).total).toBe(1);
        expect(await store.deleteDataPool('co-b', pool.id)).toBe(false);
        expect(await store.deleteDataPool('co-a', pool.id)).toBe(true);
        expect(await store.getDataPool('co-a', pool.id)).toBeUndefined();
      });

      it('answers which values are new, records them on track, and creates the pool on first use', async () => {
        expect(await store.seeDataPoolValues('co-a', 'auto', ['a', 'b'], { track: false, opKey: 'x' })).toEqual([true, true]);
        expect(await store.seeDataPoolValues('co-a', 'auto', ['a', 'b'], { track: true, opKey: 'op1' })).toEqual([true, true]);
        expect(await store.seeDataPoolValues('co-a', 'auto', ['b', 'c'], { track: true, opKey: 'op2' })).toEqual([false, true]);
        expect(await store.seeDataPoolValues('co-a', 'auto', ['a', 'd'], { track: false, opKey: 'op3' })).toEqual([false, true]);
        // The step execution that recorded a value sees it as new again on its retry.
        expect(await store.seeDataPoolValues('co-a', 'auto', ['a', 'b', 'c'], { track: true, opKey: 'op1' })).toEqual([true, true, false]);
        expect(await store.seeDataPoolValues('co-b', 'auto', ['a'], { track: true, opKey: 'op9' })).toEqual([true]);
        const [pool] = (await store.listDataPools('co-a', {}, page)).rows;
        expect(pool).toMatchObject({ name: 'auto', valuesCount: 3 });
        expect(await store.seeDataPoolValues('co-a', 'auto', [], { track: true, opKey: 'op4' })).toEqual([]);
      });

      it('forgets a value 90 days after it was last seen', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.parse('2026-01-01T00:00:00Z');
        vi.setSystemTime(start);
        await store.seeDataPoolValues('co-a', 'p', ['old', 'kept'], { track: true, opKey: 'op1' });
        vi.setSystemTime(start + 80 * DAY_MS);
        expect(await store.seeDataPoolValues('co-a', 'p', ['kept'], { track: true, opKey: 'op2' })).toEqual([false]);
        vi.setSystemTime(start + 91 * DAY_MS);
        const [pool] = (await store.listDataPools('co-a', {}, page)).rows;
        expect(pool?.valuesCount).toBe(1);
        expect(await store.seeDataPoolValues('co-a', 'p', ['old'], { track: false, opKey: 'op3' })).toEqual([true]);
        expect(await store.seeDataPoolValues('co-a', 'p', ['old', 'kept'], { track: true, opKey: 'op3' })).toEqual([true, false]);
        const values = await store.listDataPoolValues('co-a', pool!.id, {}, page);
        expect(values?.rows.find((v) => v.value === 'old')?.firstSeen).toBe(new Date(start + 91 * DAY_MS).toISOString());
      });

      it('tells exactly one of many concurrent callers that a value is new', async () => {
        const stores = [store, await harness.reopen(), await harness.reopen()];
        const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
        const calls = Array.from({ length: 9 }, (_, c) => {
          // Each caller sends the values in its own order, overlapping with every other caller.
          const mine = c % 2 === 0 ? values : values.slice().reverse();
          return stores[c % stores.length]!.seeDataPoolValues('co-a', 'race', mine, { track: true, opKey: `run-${c}` }).then((fresh) =>
            mine.filter((_, i) => fresh[i]),
          );
        });
        const answers = await Promise.all(calls);
        expect(answers.flat().sort()).toEqual(values.slice().sort());
      });

      it('imports, lists, exports and clears the values of a pool', async () => {
        const pool = await store.createDataPool('co-a', { name: 'imported' });
        const now = Date.now();
        const daysAgo = (n: number) => new Date(now - n * DAY_MS).toISOString();
        const count = await store.importDataPoolValues('co-a', pool.id, [
          { value: 'SKU-1', firstSeen: daysAgo(30), lastSeen: daysAgo(20) },
          { value: 'SKU-2' },
          { value: 'SKU-1', firstSeen: daysAgo(40), lastSeen: daysAgo(25) },
          { value: 'OTHER' },
        ]);
        expect(count).toBe(4);
        expect(await store.importDataPoolValues('co-b', pool.id, [{ value: 'x' }])).toBeUndefined();
        const listed = await store.listDataPoolValues('co-a', pool.id, { value: 'SKU' }, page);
        expect(listed?.total).toBe(2);
        const sku1 = listed?.rows.find((v) => v.value === 'SKU-1');
        expect(sku1).toEqual({ value: 'SKU-1', firstSeen: daysAgo(40), lastSeen: daysAgo(20) });
        expect(await store.seeDataPoolValues('co-a', 'imported', ['SKU-2', 'SKU-3'], { track: false, opKey: 'x' })).toEqual([false, true]);
        expect((await store.exportDataPoolValues('co-a', pool.id))?.map((v) => v.value)).toEqual([
          'SKU-1',
          expect.any(String),
          expect.any(String),
        ]);
        expect(await store.exportDataPoolValues('co-b', pool.id)).toBeUndefined();
        expect(await store.listDataPoolValues('co-b', pool.id, {}, page)).toBeUndefined();
        expect(await store.clearDataPoolValues('co-b', pool.id)).toBeUndefined();
        expect(await store.clearDataPoolValues('co-a', pool.id)).toBe(3);
        expect((await store.getDataPool('co-a', pool.id))?.valuesCount).toBe(0);
      });
    });

    describe('tracked data', () => {
      const entry = (entity: string, value: string, extra: Record<string, string> = {}) => ({
        entity,
        value,
        flowId: 'flow-1',
        runId: 'run-1',
        stepId: 'track',
        itemKey: 'track#0',
        ...extra,
      });

      it('records pairs once per step execution and finds them by entity and value, newest first', async () => {
        await store.trackData('co-a', [entry('order', 'LMUK62388'), entry('customer', 'c@example.com')]);
        await store.trackData('co-a', [entry('order', 'LMUK62388')]);
        await store.trackData('co-a', [entry('order', 'LMUK62388', { runId: 'run-2', itemKey: 'track#0' })]);
        await store.trackData('co-b', [entry('order', 'LMUK62388')]);
        const found = await store.listTrackedData('co-a', { entity: ['order'], value: ['LMUK62388'] }, page);
        expect(found.total).toBe(2);
        expect(found.rows.map((r) => r.runId)).toEqual(['run-2', 'run-1']);
        expect(found.rows[0]).toMatchObject({ companyId: 'co-a', entity: 'order', value: 'LMUK62388', flowId: 'flow-1', stepId: 'track' });
        expect((await store.listTrackedData('co-a', { value: ['c@example.com'] }, page)).rows.map((r) => r.entity)).toEqual(['customer']);
        expect((await store.listTrackedData('co-a', { runId: ['run-2'] }, page)).total).toBe(1);
        expect((await store.listTrackedData('co-a', {}, { page: 2, perPage: 2 })).rows).toHaveLength(1);
        expect((await store.listTrackedData('co-c', {}, page)).total).toBe(0);
        await store.trackData('co-a', []);
      });

      it('filters by the time a pair was recorded, from inclusive and to exclusive', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(Date.parse('2026-11-01T10:00:00Z'));
        await store.trackData('co-a', [entry('order', '1')]);
        vi.setSystemTime(Date.parse('2026-11-02T10:00:00Z'));
        await store.trackData('co-a', [entry('order', '2')]);
        const values = async (from?: string, to?: string) =>
          (await store.listTrackedData('co-a', { ...(from && { from }), ...(to && { to }) }, page)).rows.map((r) => r.value);
        expect(await values('2026-11-02T10:00:00.000Z')).toEqual(['2']);
        expect(await values(undefined, '2026-11-02T10:00:00.000Z')).toEqual(['1']);
        expect(await values('2026-11-01T00:00:00.000Z', '2026-11-03T00:00:00.000Z')).toEqual(['2', '1']);
      });
    });
  });
}
