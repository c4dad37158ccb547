import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { Store } from './types.js';

/** The lookup tables' part of the Store contract, run by each adapter's test file. */
export function lookupConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, lookup tables: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    let a: string;
    let b: string;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
      const owner = (company: string) =>
        store.createCompanyWithAdmin({ companyName: company, name: 'Owner', email: `owner@${company}.test`, passwordHash: 'x' });
      a = (await owner('a')).company.id;
      b = (await owner('b')).company.id;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    const page = { page: 1, perPage: 100 };
    const rows = [
      { left: 'GB', right: 'United Kingdom' },
      { left: 'UK', right: 'United Kingdom' },
      { left: 'FR', right: 'France' },
    ];

    it('creates a table with its rows in order and loads them by name', async () => {
      const table = await store.createLookupTable(a, { name: 'countries', description: 'ISO → names', rows });
      expect(table).toMatchObject({ companyId: a, name: 'countries', description: 'ISO → names', rowCount: 3 });
      expect(await store.getLookupTable(a, table.id)).toEqual(table);
      expect(await store.listLookupRows(a, table.id, page)).toEqual({ rows, total: 3 });
      expect(await store.listLookupRows(a, table.id, { page: 2, perPage: 2 })).toEqual({ rows: [rows[2]], total: 3 });
      expect(await store.loadLookupRows(a, 'countries')).toEqual(rows);
      expect(await store.loadLookupRows(a, 'unknown')).toBeUndefined();
    });

    it('loads an empty table as no rows, not as an unknown table', async () => {
      await store.createLookupTable(a, { name: 'empty', description: '', rows: [] });
      expect(await store.loadLookupRows(a, 'empty')).toEqual([]);
    });

    it('refuses a taken name and repeated left values', async () => {
      await store.createLookupTable(a, { name: 'countries', description: '', rows });
      await expect(store.createLookupTable(a, { name: 'countries', description: '', rows: [] })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      await expect(store.createLookupTable(b, { name: 'countries', description: '', rows: [] })).resolves.toMatchObject({ companyId: b });
      await expect(
        store.createLookupTable(a, { name: 'dupes', description: '', rows: [rows[0]!, { left: 'GB', right: 'x' }] }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { 'rows[1].left': [expect.any(String)] } });
      expect(await store.loadLookupRows(a, 'dupes')).toBeUndefined();
    });

    it('keeps tables to their company', async () => {
      const table = await store.createLookupTable(a, { name: 'countries', description: '', rows });
      expect(await store.getLookupTable(b, table.id)).toBeUndefined();
      expect(await store.listLookupRows(b, table.id, page)).toBeUndefined();
      expect(await store.replaceLookupRows(b, table.id, [])).toBeUndefined();
      expect(await store.upsertLookupRows(b, table.id, [{ left: 'x', right: 'y' }])).toBeUndefined();
      expect(await store.deleteLookupRows(b, table.id, ['GB'])).toBeUndefined();
      expect(await store.updateLookupTable(b, table.id, { name: 'x' })).toBeUndefined();
      expect(await store.deleteLookupTable(b, table.id)).toBe(false);
      expect(await store.loadLookupRows(b, 'countries')).toBeUndefined();
      expect((await store.listLookupTables(b, page)).total).toBe(0);
      expect(await store.loadLookupRows(a, 'countries')).toEqual(rows);
    });

    it('replaces, upserts and deletes rows', async () => {
      const table = await store.createLookupTable(a, { name: 'countries', description: '', rows });
      await store.upsertLookupRows(a, table.id, [
        { left: 'DE', right: 'Germany' },
        { left: 'GB', right: 'Great Britain' },
        { left: 'DE', right: 'Deutschland' },
      ]);
      expect(await store.loadLookupRows(a, 'countries')).toEqual([
        { left: 'GB', right: 'Great Britain' },
        rows[1],
        rows[2],
        { left: 'DE', right: 'Deutschland' },
      ]);
      const afterDelete = await store.deleteLookupRows(a, table.id, ['UK', 'nope']);
      expect(afterDelete?.rowCount).toBe(3);
      await store.upsertLookupRows(a, table.id, [{ left: 'ES', right: 'Spain' }]);
      expect((await store.loadLookupRows(a, 'countries'))?.map((r) => r.left)).toEqual(['GB', 'FR', 'DE', 'ES']);
      const replaced = await store.replaceLookupRows(a, table.id, [{ left: 'IT', right: 'Italy' }]);
      expect(replaced?.rowCount).toBe(1);
      expect(await store.loadLookupRows(a, 'countries')).toEqual([{ left: 'IT', right: 'Italy' }]);
      await expect(store.replaceLookupRows(a, table.id, [rows[0]!, rows[0]!])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await store.loadLookupRows(a, 'countries')).toEqual([{ left: 'IT', right: 'Italy' }]);
    });

    it('renames, lists by name and deletes a table with its rows', async () => {
      const t1 = await store.createLookupTable(a, { name: 'zz', description: '', rows });
      await store.createLookupTable(a, { name: 'aa', description: '', rows: [] });
      await expect(store.updateLookupTable(a, t1.id, { name: 'aa' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.updateLookupTable(a, t1.id, { name: 'mm', description: 'd' })).toMatchObject({
        name: 'mm',
        description: 'd',
        rowCount: 3,
      });
      expect((await store.listLookupTables(a, page)).rows.map((t) => t.name)).toEqual(['aa', 'mm']);
      expect(await store.deleteLookupTable(a, t1.id)).toBe(true);
      expect(await store.loadLookupRows(a, 'mm')).toBeUndefined();
      expect(await store.deleteLookupTable(a, t1.id)).toBe(false);
    });

    it('loses no row when several calls add rows to one table at the same time', async () => {
      const table = await store.createLookupTable(a, { name: 'busy', description: '', rows: [] });
      await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          store.upsertLookupRows(a, table.id, [
            { left: `k${n}`, right: String(n) },
            { left: 'shared', right: String(n) },
          ]),
        ),
      );
      const rows = (await store.loadLookupRows(a, 'busy')) ?? [];
      expect(rows.map((r) => r.left).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'shared']);
      expect((await store.getLookupTable(a, table.id))?.rowCount).toBe(9);
    });

    it('stores many rows in one call', async () => {
      const many = Array.from({ length: 5000 }, (_, i) => ({ left: `L${i}`, right: `R${i % 7}` }));
      const table = await store.createLookupTable(a, { name: 'big', description: '', rows: many });
      expect(table.rowCount).toBe(5000);
      expect((await store.loadLookupRows(a, 'big'))?.[4999]).toEqual({ left: 'L4999', right: 'R1' });
    });
  });
}
