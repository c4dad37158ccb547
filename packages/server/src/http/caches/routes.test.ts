import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlow, lineFlow, runFlow } from '../../test-support/data-flows.js';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';

describe('caches API, over caches written by flows', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let other: Record<string, string>;
  let cacheId: string;
  let companyId: string;

  beforeAll(async () => {
    sys = await createTestSystem();
    const owner = await sys.register();
    companyId = owner.companyId;
    h = sys.auth(owner.token);
    other = sys.auth((await sys.register()).token);
    const flow = await createFlow(
      sys,
      h,
      lineFlow([
        { id: 'add', shape: 'cache_add', config: { cache: 'orders', key: 'all', scope: 'company', append: true } },
        { id: 'one', shape: 'cache_add', config: { cache: 'orders', key: 'order-[[payload.0.id]]', scope: 'company' } },
        { id: 'load', shape: 'cache_load', config: { cache: 'orders', key: 'all', scope: 'company', fail_on_miss: true } },
      ]),
    );
    expect((await runFlow(sys, h, flow, [{ id: 1 }, { id: 2 }])).status).toBe('success');
    expect((await runFlow(sys, h, flow, [{ id: 3 }])).status).toBe('success');
    cacheId = (await sys.app.inject({ url: '/api/v1/caches', headers: h })).json().data[0].id;
  });
  afterAll(() => sys.close());

  it('lists the company’s caches with their scope, entry count and size', async () => {
    const res = await sys.app.inject({ url: '/api/v1/caches?filter[scope]=company&filter[name]=orders', headers: h });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([
      {
        id: cacheId,
        name: 'orders',
        scope: 'company',
        scope_id: null,
        entries: 3,
        bytes:
          Buffer.byteLength('[{"id":1},{"id":2},{"id":3}]') + Buffer.byteLength('[{"id":1},{"id":2}]') + Buffer.byteLength('[{"id":3}]'),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);
    expect(res.json().meta.total).toBe(1);
    expect((await sys.app.inject({ url: '/api/v1/caches?filter[scope]=run', headers: h })).json().data).toEqual([]);
    expect((await sys.app.inject({ url: '/api/v1/caches', headers: other })).json().data).toEqual([]);
  });

  it('shows entries and an entry’s content, the appended list holding both runs’ records once', async () => {
    const entries = await sys.app.inject({ url: `/api/v1/caches/${cacheId}/entries`, headers: h });
    expect(entries.json().data.map((e: { key: string }) => e.key)).toEqual(['all', 'order-1', 'order-3']);
    const all = await sys.app.inject({ url: `/api/v1/caches/${cacheId}/entries/all`, headers: h });
    expect(all.json().data).toMatchObject({ key: 'all', format: 'json', content: [{ id: 1 }, { id: 2 }, { id: 3 }], expires_at: null });
    expect((await sys.app.inject({ url: `/api/v1/caches/${cacheId}`, headers: h })).json().data.entries).toBe(3);
  });

  it('reads an entry whose key holds a slash or spaces, sent URL-encoded', async () => {
    const cache = (await sys.app.inject({ url: `/api/v1/caches/${cacheId}`, headers: h })).json().data;
    const address = { companyId, name: cache.name, scope: 'company' as const, scopeId: '' };
    await sys.store.putCacheEntry(address, {
      key: 'page/1 of 2',
      format: 'text',
      body: Buffer.from('hi'),
      meta: {},
      expiresAt: null,
      append: false,
      maxBytes: 1e6,
    });
    const res = await sys.app.inject({ url: `/api/v1/caches/${cacheId}/entries/${encodeURIComponent('page/1 of 2')}`, headers: h });
    expect(res.json().data).toMatchObject({ key: 'page/1 of 2', format: 'text', content: 'hi' });
    const gone = await sys.app.inject({
      method: 'DELETE',
      url: `/api/v1/caches/${cacheId}/entries/${encodeURIComponent('page/1 of 2')}`,
      headers: h,
    });
    expect(gone.statusCode).toBe(204);
  });

  it('answers 404 for unknown caches and entries, and for another company’s', async () => {
    for (const url of [`/api/v1/caches/${cacheId}`, `/api/v1/caches/${cacheId}/entries`, `/api/v1/caches/${cacheId}/entries/all`]) {
      expect((await sys.app.inject({ url, headers: other })).statusCode, url).toBe(404);
    }
    expect((await sys.app.inject({ url: '/api/v1/caches/nope', headers: h })).json().error.code).toBe('NOT_FOUND');
    expect((await sys.app.inject({ url: `/api/v1/caches/${cacheId}/entries/nope`, headers: h })).statusCode).toBe(404);
    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/caches/${cacheId}`, headers: other })).statusCode).toBe(404);
  });

  it('refuses an unknown scope filter with the filter named', async () => {
    const res = await sys.app.inject({ url: '/api/v1/caches?filter[scope]=global', headers: h });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({ 'filter[scope]': ['must be one of run, flow, company'] });
  });

  it('removes one entry, then clears the whole cache', async () => {
    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/caches/${cacheId}/entries/order-3`, headers: h })).statusCode).toBe(204);
    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/caches/${cacheId}/entries/order-3`, headers: h })).statusCode).toBe(404);
    expect((await sys.app.inject({ url: `/api/v1/caches/${cacheId}`, headers: h })).json().data.entries).toBe(2);
    expect((await sys.app.inject({ method: 'DELETE', url: `/api/v1/caches/${cacheId}`, headers: h })).statusCode).toBe(204);
    expect((await sys.app.inject({ url: `/api/v1/caches/${cacheId}`, headers: h })).statusCode).toBe(404);
    const audit = await sys.app.inject({ url: '/api/v1/audit-logs?filter[action]=cache.cleared', headers: h });
    expect(audit.json().data[0]).toMatchObject({ target_id: cacheId, data: { name: 'orders', scope: 'company' } });
  });
});
