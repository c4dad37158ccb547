import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { Store } from './types.js';

/** The scripts' part of the Store contract, run by each adapter's test file. */
export function scriptsConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, scripts: ${name}`, () => {
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

    const page = { page: 1, perPage: 50 };
    const input = (name = 'normalise') => ({
      name,
      language: 'javascript' as const,
      description: 'tidies orders',
      source: 'function main(i) { return i; }',
    });

    it('creates a script with its draft version 1 and nothing deployed', async () => {
      const script = await store.createScript(a, input());
      expect(script).toMatchObject({
        companyId: a,
        name: 'normalise',
        language: 'javascript',
        description: 'tidies orders',
        draftNumber: 1,
        deployedNumber: null,
        deployedAt: null,
      });
      expect(await store.getScript(a, script.id)).toEqual(script);
      const versions = await store.listScriptVersions(a, script.id);
      expect(versions).toEqual([
        expect.objectContaining({ number: 1, status: 'draft', source: input().source, compiled: null, deployedAt: null }),
      ]);
      expect(await store.loadDeployedScript(a, 'normalise')).toBeUndefined();
    });

    it('refuses a second script of the same name in the company, but not in another company', async () => {
      await store.createScript(a, input());
      await expect(store.createScript(a, input())).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.createScript(b, input())).resolves.toMatchObject({ companyId: b });
    });

    it('keeps scripts to their company: another company sees an unknown id', async () => {
      const script = await store.createScript(a, input());
      expect(await store.getScript(b, script.id)).toBeUndefined();
      expect(await store.updateScript(b, script.id, { description: 'x' })).toBeUndefined();
      expect(await store.listScriptVersions(b, script.id)).toBeUndefined();
      expect(await store.getScriptVersion(b, script.id, 1)).toBeUndefined();
      expect(await store.deployScript(b, script.id, { source: input().source, compiled: 'x' })).toBeUndefined();
      expect(await store.deleteScript(b, script.id)).toBe(false);
      expect((await store.listScripts(b, {}, page)).total).toBe(0);
      await store.deployScript(a, script.id, { source: input().source, compiled: 'compiled' });
      expect(await store.loadDeployedScript(b, 'normalise')).toBeUndefined();
      expect(await store.getScript(a, script.id)).toBeDefined();
    });

    it('edits the draft code and the script fields, and refuses a taken name', async () => {
      const script = await store.createScript(a, input());
      await store.createScript(a, input('other'));
      const changed = await store.updateScript(a, script.id, {
        description: 'new',
        language: 'typescript',
        source: 'const main = (i: unknown) => i;',
      });
      expect(changed).toMatchObject({ description: 'new', language: 'typescript', name: 'normalise' });
      expect((await store.getScriptVersion(a, script.id, 1))?.source).toBe('const main = (i: unknown) => i;');
      await expect(store.updateScript(a, script.id, { name: 'other' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.updateScript(a, script.id, { name: 'normalise' })).toMatchObject({ name: 'normalise' });
    });

    it('deploys the draft: it becomes the deployed version, a copy the next draft, the earlier deployed one inactive', async () => {
      const script = await store.createScript(a, input());
      const first = await store.deployScript(a, script.id, { source: input().source, compiled: 'js-1' });
      expect(first).toMatchObject({ number: 1, status: 'deployed', compiled: 'js-1', deployedAt: expect.any(String) });
      expect(await store.getScript(a, script.id)).toMatchObject({ draftNumber: 2, deployedNumber: 1 });
      expect(await store.loadDeployedScript(a, 'normalise')).toEqual({ code: 'js-1', version: 1 });

      await store.updateScript(a, script.id, { source: 'v2' });
      expect((await store.getScriptVersion(a, script.id, 1))?.source).toBe(input().source);
      await store.deployScript(a, script.id, { source: 'v2', compiled: 'js-2' });
      const versions = await store.listScriptVersions(a, script.id);
      expect(versions?.map((v) => [v.number, v.status])).toEqual([
        [3, 'draft'],
        [2, 'deployed'],
        [1, 'inactive'],
      ]);
      expect(versions?.[0]?.source).toBe('v2');
      expect(await store.loadDeployedScript(a, 'normalise')).toEqual({ code: 'js-2', version: 2 });
      expect(await store.loadDeployedScript(a, 'normalise', 1)).toEqual({ code: 'js-1', version: 1 });
      expect(await store.loadDeployedScript(a, 'normalise', 3)).toBeUndefined();
      expect(await store.loadDeployedScript(a, 'normalise', 9)).toBeUndefined();
      expect(await store.loadDeployedScript(a, 'unknown')).toBeUndefined();
    });

    it('keeps one deployed version and one draft when deploys of one script race', async () => {
      const script = await store.createScript(a, input());
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => store.deployScript(a, script.id, { source: input().source, compiled: 'js' })),
      );
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      const versions = (await store.listScriptVersions(a, script.id)) ?? [];
      expect(versions.map((v) => v.number)).toEqual([5, 4, 3, 2, 1]);
      expect(versions.filter((v) => v.status === 'deployed').map((v) => v.number)).toEqual([4]);
      expect(versions.filter((v) => v.status === 'draft').map((v) => v.number)).toEqual([5]);
      expect(await store.getScript(a, script.id)).toMatchObject({ draftNumber: 5, deployedNumber: 4 });
    });

    it('refuses to deploy code that is no longer the draft', async () => {
      const script = await store.createScript(a, input());
      await store.updateScript(a, script.id, { source: 'edited meanwhile' });
      await expect(store.deployScript(a, script.id, { source: input().source, compiled: 'x' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.getScript(a, script.id)).toMatchObject({ draftNumber: 1, deployedNumber: null });
    });

    it('lists by name, filters by part of it, pages, and deletes with every version', async () => {
      for (const n of ['zeta', 'alpha', 'Beta-orders']) await store.createScript(a, input(n));
      const all = await store.listScripts(a, {}, page);
      expect(all.rows.map((s) => s.name)).toEqual(['Beta-orders', 'alpha', 'zeta']);
      expect((await store.listScripts(a, { name: 'ORDER' }, page)).rows.map((s) => s.name)).toEqual(['Beta-orders']);
      const second = await store.listScripts(a, {}, { page: 2, perPage: 2 });
      expect(second).toEqual({ rows: [expect.objectContaining({ name: 'zeta' })], total: 3 });
      const zeta = all.rows[2]!;
      await store.deployScript(a, zeta.id, { source: input().source, compiled: 'js' });
      expect(await store.deleteScript(a, zeta.id)).toBe(true);
      expect(await store.getScript(a, zeta.id)).toBeUndefined();
      expect(await store.loadDeployedScript(a, 'zeta')).toBeUndefined();
      expect(await store.deleteScript(a, zeta.id)).toBe(false);
      // The name is free again.
      await expect(store.createScript(a, input('zeta'))).resolves.toMatchObject({ draftNumber: 1 });
    });
  });
}
