import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { Store } from './types.js';

/** Changing and removing users (user-admin-types.ts), run by each adapter's test file. */
export function userAdminConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, user administration: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    let n = 0;
    const company = () =>
      store.createCompanyWithAdmin({ companyName: 'Acme', name: 'Jane', email: `jane-${++n}@acme.test`, passwordHash: 'hash' });
    const addUser = (companyId: string, role: 'administrator' | 'manager' | 'user' | 'read_only') =>
      store.createUser(companyId, { name: 'Person', email: `person-${++n}@acme.test`, passwordHash: 'hash', role });
    const token = async (user: { id: string; companyId: string }) => {
      const id = `token-${++n}`;
      await store.createToken({
        id,
        userId: user.id,
        companyId: user.companyId,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      return id;
    };

    it('changes the name and the role, and leaves fields not named alone', async () => {
      const { company: c } = await company();
      const user = await addUser(c.id, 'user');
      expect(await store.updateUser(c.id, user.id, { role: 'manager' })).toEqual({ ...user, role: 'manager' });
      expect(await store.updateUser(c.id, user.id, { name: 'Renamed' })).toEqual({ ...user, role: 'manager', name: 'Renamed' });
      expect(await store.getUser(c.id, user.id)).toEqual({ ...user, role: 'manager', name: 'Renamed' });
    });

    it("returns undefined and false for another company's user and an unknown id, changing nothing", async () => {
      const { company: a } = await company();
      const { company: b, user: bAdmin } = await company();
      const bUser = await addUser(b.id, 'user');
      for (const id of [bUser.id, 'no-such-user']) {
        expect(await store.updateUser(a.id, id, { role: 'read_only' })).toBeUndefined();
        expect(await store.deleteUser(a.id, id)).toBe(false);
      }
      expect(await store.getUser(b.id, bUser.id)).toEqual(bUser);
      expect(await store.getUser(b.id, bAdmin.id)).toEqual(bAdmin);
    });

    it('refuses to demote or delete the last administrator with LAST_ADMINISTRATOR', async () => {
      const { company: c, user: admin } = await company();
      await expect(store.updateUser(c.id, admin.id, { role: 'manager' })).rejects.toMatchObject({
        code: 'LAST_ADMINISTRATOR',
        status: 409,
      });
      await expect(store.deleteUser(c.id, admin.id)).rejects.toMatchObject({ code: 'LAST_ADMINISTRATOR' });
      // Renaming, or "changing" to the same role, is not a demotion.
      expect(await store.updateUser(c.id, admin.id, { name: 'Still Jane', role: 'administrator' })).toMatchObject({
        role: 'administrator',
      });
      expect(await store.getUser(c.id, admin.id)).toMatchObject({ role: 'administrator', name: 'Still Jane' });
    });

    it("counts only the company's own administrators", async () => {
      const { company: a, user: aAdmin } = await company();
      await company();
      await expect(store.deleteUser(a.id, aAdmin.id)).rejects.toMatchObject({ code: 'LAST_ADMINISTRATOR' });
      const second = await addUser(a.id, 'administrator');
      expect(await store.deleteUser(a.id, aAdmin.id)).toBe(true);
      await expect(store.updateUser(a.id, second.id, { role: 'user' })).rejects.toMatchObject({ code: 'LAST_ADMINISTRATOR' });
    });

    it('lets only one of two concurrent demotions of the last two administrators through', async () => {
      const { company: c, user: first } = await company();
      const second = await addUser(c.id, 'administrator');
      const results = await Promise.allSettled([
        store.updateUser(c.id, first.id, { role: 'user' }),
        store.updateUser(c.id, second.id, { role: 'user' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const admins = (await store.listUsers(c.id)).filter((u) => u.role === 'administrator');
      expect(admins).toHaveLength(1);
    });

    it('deletes the user with their tokens, and the token grant carries the current role', async () => {
      const { company: c } = await company();
      const user = await addUser(c.id, 'manager');
      const id = await token(user);
      expect(await store.getTokenGrant(id)).toMatchObject({ id, userId: user.id, companyId: c.id, revokedAt: null, role: 'manager' });
      await store.updateUser(c.id, user.id, { role: 'read_only' });
      expect(await store.getTokenGrant(id)).toMatchObject({ role: 'read_only' });
      await store.revokeToken(id);
      expect((await store.getTokenGrant(id))?.revokedAt).toEqual(expect.any(String));
      const live = await token(user);
      expect(await store.deleteUser(c.id, user.id)).toBe(true);
      expect(await store.getUser(c.id, user.id)).toBeUndefined();
      expect(await store.findUserByEmail(user.email)).toBeUndefined();
      expect(await store.getTokenGrant(live)).toBeUndefined();
      // The token row itself is gone, not only hidden by the join: its id can be recorded again.
      const { user: other } = await company();
      await store.createToken({
        id: live,
        userId: other.id,
        companyId: other.companyId,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(await store.getTokenGrant(live)).toMatchObject({ userId: other.id, role: 'administrator' });
      expect(await store.getTokenGrant('never-issued')).toBeUndefined();
    });
  });
}
