import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreHarness } from './conformance.js';
import { skipWhenClockIsSeparate } from './conformance.js';
import type { AuditInput, Store } from './types.js';

/**
 * The audit log's part of the Store contract, run by each adapter's test file beside
 * storeConformanceSuite. `raw` runs SQL on the adapter's database behind the store's back: the
 * log must refuse changes from anyone, not only from the store's own methods.
 */
export function auditConformanceSuite(name: string, makeStore: () => Promise<StoreHarness & { raw(sql: string): Promise<unknown> }>): void {
  describe(`Store conformance, audit log: ${name}`, () => {
    let harness: Awaited<ReturnType<typeof makeStore>>;
    let store: Store;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
    });

    afterEach(async () => {
      vi.useRealTimers();
      await harness.cleanup();
    });

    const page = { page: 1, perPage: 50 };

    function entry(companyId: string | null, extra: Partial<AuditInput> = {}): AuditInput {
      return {
        companyId,
        actorType: 'user',
        actorId: 'user-1',
        action: 'flow.deployed',
        targetType: 'flow_version',
        targetId: 'version-1',
        outcome: 'success',
        address: '203.0.113.7',
        data: { flow_id: 'flow-1', number: 2 },
        ...extra,
      };
    }

    it('stores every field of an entry and lists the newest first', async () => {
      const first = await store.appendAudit(entry('company-a', { action: 'auth.login.succeeded', data: null }));
      const second = await store.appendAudit(entry('company-a'));
      expect(second).toMatchObject({ ...entry('company-a'), id: expect.any(String), createdAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(second.createdAt))).toBe(false);

      const listed = await store.listAudit('company-a', {}, page);
      expect(listed.total).toBe(2);
      expect(listed.rows).toEqual([second, first]);
      expect(listed.rows[1]?.data).toBeNull();
    });

    it("lists only the company's own entries, and never those of no company", async () => {
      await store.appendAudit(entry('company-a'));
      await store.appendAudit(entry('company-b', { targetId: 'version-b' }));
      await store.appendAudit(entry(null, { actorType: 'anonymous', actorId: null, action: 'auth.login.failed', outcome: 'failure' }));

      const a = await store.listAudit('company-a', {}, page);
      expect(a.rows.map((r) => r.companyId)).toEqual(['company-a']);
      const b = await store.listAudit('company-b', {}, page);
      expect(b.rows.map((r) => r.targetId)).toEqual(['version-b']);
      expect(await store.listAudit('', {}, page)).toEqual({ rows: [], total: 0 });
      expect(await store.listAudit('null', {}, page)).toEqual({ rows: [], total: 0 });
    });

    it('filters by any of the actions, actors and targets given, all together', async () => {
      await store.appendAudit(entry('c', { action: 'api_key.created', actorId: 'u1', targetId: 't1' }));
      await store.appendAudit(entry('c', { action: 'api_key.revoked', actorId: 'u1', targetId: 't1' }));
      await store.appendAudit(entry('c', { action: 'flow.deleted', actorId: 'u2', targetId: 't2' }));

      const actions = (r: { rows: Array<{ action: string }> }) => r.rows.map((x) => x.action).sort();
      expect(actions(await store.listAudit('c', { action: ['api_key.created', 'flow.deleted'] }, page))).toEqual([
        'api_key.created',
        'flow.deleted',
      ]);
      expect(actions(await store.listAudit('c', { actorId: ['u1'] }, page))).toEqual(['api_key.created', 'api_key.revoked']);
      expect(actions(await store.listAudit('c', { targetId: ['t2'] }, page))).toEqual(['flow.deleted']);
      expect(actions(await store.listAudit('c', { actorId: ['u1'], action: ['api_key.revoked'] }, page))).toEqual(['api_key.revoked']);
      expect(await store.listAudit('c', { action: ['user.created'] }, page)).toEqual({ rows: [], total: 0 });
      expect(actions(await store.listAudit('c', { action: [] }, page))).toHaveLength(3);
    });

    it('filters by date, from inclusive and to exclusive', async ({ skip }) => {
      skipWhenClockIsSeparate(harness, skip);
      vi.useFakeTimers({ toFake: ['Date'] });
      for (const day of ['2030-01-01', '2030-01-02', '2030-01-03']) {
        vi.setSystemTime(new Date(`${day}T12:00:00.000Z`));
        await store.appendAudit(entry('c', { targetId: day }));
      }
      const targets = async (from?: string, to?: string) =>
        (await store.listAudit('c', { ...(from !== undefined && { from }), ...(to !== undefined && { to }) }, page)).rows.map(
          (r) => r.targetId,
        );

      expect(await targets('2030-01-02T12:00:00.000Z')).toEqual(['2030-01-03', '2030-01-02']);
      expect(await targets(undefined, '2030-01-02T12:00:00.000Z')).toEqual(['2030-01-01']);
      expect(await targets('2030-01-01T13:00:00.000Z', '2030-01-03T00:00:00.000Z')).toEqual(['2030-01-02']);
      expect(await targets('2031-01-01T00:00:00.000Z')).toEqual([]);
    });

    it('pages the list and counts every matching entry', async () => {
      for (let i = 0; i < 5; i++) await store.appendAudit(entry('c', { targetId: `t${i}` }));
      const second = await store.listAudit('c', {}, { page: 2, perPage: 2 });
      expect(second.total).toBe(5);
      expect(second.rows.map((r) => r.targetId)).toEqual(['t2', 't1']);
    });

    it('refuses to update or delete an entry, whoever asks', async () => {
      const written = await store.appendAudit(entry('c'));
      await expect(harness.raw(`UPDATE audit_logs SET outcome = 'failure'`)).rejects.toThrow(/append-only/);
      await expect(harness.raw(`DELETE FROM audit_logs WHERE id = '${written.id}'`)).rejects.toThrow(/append-only/);
      await expect(harness.raw('DELETE FROM audit_logs')).rejects.toThrow(/append-only/);
      expect((await store.listAudit('c', {}, page)).rows).toEqual([written]);
    });
  });
}
