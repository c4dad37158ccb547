import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { Store } from './types.js';

/** Rate-limit buckets, OAuth 2 states and the credential walk of `weft keys rotate`, run by each adapter's test file. */
export function connectorExtrasConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, connector extras: ${name}`, () => {
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

    it('lets a burst of the limit through at once, then spaces bookings one interval apart', async () => {
      const now = 1_000_000;
      // 3 per 3 s: interval 1 s.
      const slots = [];
      for (let i = 0; i < 5; i++) slots.push(await store.reserveRateSlot(a, 'i1:orders', 1000, 3000, now));
      expect(slots).toEqual([now, now, now, now + 1000, now + 2000]);
    });

    it('lets an idle bucket start afresh and keeps buckets of other companies and names apart', async () => {
      expect(await store.reserveRateSlot(a, 'x', 1000, 1000, 0)).toBe(0);
      expect(await store.reserveRateSlot(a, 'x', 1000, 1000, 0)).toBe(1000);
      expect(await store.reserveRateSlot(b, 'x', 1000, 1000, 0)).toBe(0);
      expect(await store.reserveRateSlot(a, 'y', 1000, 1000, 0)).toBe(0);
      expect(await store.reserveRateSlot(a, 'x', 1000, 1000, 60_000)).toBe(60_000);
    });

    it('defers a bucket to a later time (Retry-After) but never pulls it earlier', async () => {
      await store.deferRateSlot(a, 'd', 5000);
      expect(await store.reserveRateSlot(a, 'd', 100, 100, 0)).toBe(5000);
      await store.deferRateSlot(a, 'd', 1000);
      expect(await store.reserveRateSlot(a, 'd', 100, 100, 0)).toBe(5100);
      expect(await store.reserveRateSlot(b, 'd', 100, 100, 0)).toBe(0);
    });

    it('books distinct slots for concurrent callers', async () => {
      const slots = await Promise.all(Array.from({ length: 20 }, () => store.reserveRateSlot(a, 'c', 100, 100, 5000)));
      expect([...slots].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 5000 + i * 100));
    });

    it('hands an OAuth state out once, and never once expired', async () => {
      const state = { id: 's1', companyId: a, instanceId: 'i1', codeVerifier: 'v', redirectUri: 'https://weft.test/cb', expiresAt: 10_000 };
      await store.createOAuthState(state);
      expect(await store.consumeOAuthState('s1', 9_000)).toEqual(state);
      expect(await store.consumeOAuthState('s1', 9_000)).toBeUndefined();
      await store.createOAuthState({ ...state, id: 's2' });
      expect(await store.consumeOAuthState('s2', 10_001)).toBeUndefined();
      expect(await store.consumeOAuthState('unknown', 0)).toBeUndefined();
    });

    it('walks every instance with credentials in pages and replaces a ciphertext only when it is unchanged', async () => {
      const connector = await store.createConnector(a, {
        name: 'C',
        protocol: 'http',
        baseUrl: 'https://x.test',
        variables: {},
        authMethods: [],
        endpoints: [],
      });
      const connectorB = await store.createConnector(b, {
        name: 'C',
        protocol: 'http',
        baseUrl: 'https://x.test',
        variables: {},
        authMethods: [],
        endpoints: [],
      });
      const sealed = (text: string) => ({ ciphertext: text, fields: ['key'] });
      const i1 = await store.createInstance(a, {
        connectorId: connector.id,
        name: '1',
        variables: {},
        authMethod: null,
        credentials: sealed('c1'),
      });
      await store.createInstance(a, { connectorId: connector.id, name: 'none', variables: {}, authMethod: null, credentials: null });
      const i3 = await store.createInstance(b, {
        connectorId: connectorB.id,
        name: '3',
        variables: {},
        authMethod: null,
        credentials: sealed('c3'),
      });
      const all = [];
      let after: { companyId: string; instanceId: string } | undefined;
      for (;;) {
        const page = await store.listInstanceSecrets(after, 1);
        if (page.length === 0) break;
        all.push(...page);
        const last = page[page.length - 1]!;
        after = { companyId: last.companyId, instanceId: last.instanceId };
      }
      expect(all.map((r) => r.ciphertext).sort()).toEqual(['c1', 'c3']);
      expect(all).toContainEqual({ companyId: b, instanceId: i3.id, ciphertext: 'c3' });

      expect(await store.replaceInstanceSecret(a, i1.id, 'stale', 'new')).toBe(false);
      expect(await store.replaceInstanceSecret(b, i1.id, 'c1', 'new')).toBe(false);
      expect(await store.replaceInstanceSecret(a, i1.id, 'c1', 'new')).toBe(true);
      expect(await store.getInstanceSecret(a, i1.id)).toBe('new');
    });
  });
}
