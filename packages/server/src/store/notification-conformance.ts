import type { FlowDefinition } from '@weft/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { Store } from './types.js';

/**
 * Notification groups and run links, the part of the Store contract added with notifications
 * (migrations 009 and 010); each adapter's test file runs it beside storeConformanceSuite.
 */
export function notificationConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, notification groups and run links: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    let a: string;
    let b: string;
    const page = { page: 1, perPage: 50 };

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
      const suffix = Math.random().toString(36).slice(2);
      a = (await store.createCompanyWithAdmin({ companyName: 'A', name: 'A', email: `a-${suffix}@a.test`, passwordHash: 'h' })).company.id;
      b = (await store.createCompanyWithAdmin({ companyName: 'B', name: 'B', email: `b-${suffix}@b.test`, passwordHash: 'h' })).company.id;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    it('creates, reads, lists by name, updates and deletes a group', async () => {
      const ops = await store.createNotificationGroup(a, { name: 'ops', emails: ['x@a.test', 'y@a.test'] });
      const alerts = await store.createNotificationGroup(a, { name: 'Alerts', emails: ['z@a.test'] });
      expect(ops).toMatchObject({ companyId: a, name: 'ops', emails: ['x@a.test', 'y@a.test'] });
      expect(await store.getNotificationGroup(a, ops.id)).toEqual(ops);

      const listed = await store.listNotificationGroups(a, page);
      expect(listed.total).toBe(2);
      expect(listed.rows.map((g) => g.name)).toEqual(['Alerts', 'ops']);

      const renamed = await store.updateNotificationGroup(a, ops.id, { name: 'operations' });
      expect(renamed).toMatchObject({ name: 'operations', emails: ['x@a.test', 'y@a.test'] });
      const reEmailed = await store.updateNotificationGroup(a, ops.id, { emails: ['w@a.test'] });
      expect(reEmailed).toMatchObject({ name: 'operations', emails: ['w@a.test'] });

      expect(await store.deleteNotificationGroup(a, alerts.id)).toBe(true);
      expect(await store.deleteNotificationGroup(a, alerts.id)).toBe(false);
      expect(await store.getNotificationGroup(a, alerts.id)).toBeUndefined();
    });

    it('finds a group by its name whatever the case, only within the company', async () => {
      const ops = await store.createNotificationGroup(a, { name: 'Ops', emails: ['x@a.test'] });
      expect((await store.findNotificationGroup(a, 'ops'))?.id).toBe(ops.id);
      expect((await store.findNotificationGroup(a, 'OPS'))?.id).toBe(ops.id);
      expect(await store.findNotificationGroup(b, 'ops')).toBeUndefined();
      expect(await store.findNotificationGroup(a, 'other')).toBeUndefined();
    });

    it('refuses a second group of the same name (case-insensitive) with CONFLICT, but another company may use it', async () => {
      const ops = await store.createNotificationGroup(a, { name: 'ops', emails: [] });
      await expect(store.createNotificationGroup(a, { name: 'OPS', emails: [] })).rejects.toMatchObject({ code: 'CONFLICT' });
      const other = await store.createNotificationGroup(a, { name: 'other', emails: [] });
      await expect(store.updateNotificationGroup(a, other.id, { name: 'Ops' })).rejects.toMatchObject({ code: 'CONFLICT' });
      // Renaming a group to its own name (another case) is no conflict.
      expect(await store.updateNotificationGroup(a, ops.id, { name: 'Ops' })).toMatchObject({ name: 'Ops' });
      await expect(store.createNotificationGroup(b, { name: 'ops', emails: [] })).resolves.toMatchObject({ companyId: b });
    });

    it("treats another company's group like an unknown one", async () => {
      const ops = await store.createNotificationGroup(a, { name: 'ops', emails: ['x@a.test'] });
      expect(await store.getNotificationGroup(b, ops.id)).toBeUndefined();
      expect(await store.updateNotificationGroup(b, ops.id, { name: 'mine' })).toBeUndefined();
      expect(await store.deleteNotificationGroup(b, ops.id)).toBe(false);
      expect((await store.listNotificationGroups(b, page)).total).toBe(0);
      expect(await store.getNotificationGroup(a, ops.id)).toEqual(ops);
    });

    it("lists a run's children oldest first, and none for another company", async () => {
      const definition: FlowDefinition = { steps: [{ id: 'trigger', shape: 'trigger', config: {} }], edges: [] };
      const flow = await store.createFlow(a, { name: 'f', definition });
      const base = {
        flowId: flow.id,
        versionId: flow.draftVersionId,
        priority: 3,
        expedite: false,
        input: { format: 'json' as const, meta: {}, body: Buffer.from('{}') },
      };
      const { run: parent } = await store.createRun(a, { ...base, trigger: 'api' });
      const { run: first } = await store.createRun(a, { ...base, trigger: 'shape', parentRunId: parent.id });
      const { run: second } = await store.createRun(a, { ...base, trigger: 'shape', parentRunId: parent.id });
      await store.createRun(a, { ...base, trigger: 'api' });

      const children = await store.listChildRuns(a, parent.id);
      expect(children.map((r) => r.id)).toEqual([first.id, second.id]);
      expect(children.every((r) => r.parentRunId === parent.id && r.trigger === 'shape')).toBe(true);
      expect(await store.listChildRuns(b, parent.id)).toEqual([]);
      expect(await store.listChildRuns(a, first.id)).toEqual([]);
    });
  });
}
