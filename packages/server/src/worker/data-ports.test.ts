import { CACHE_MAX_BYTES } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlow, lineFlow, runFlow } from '../test-support/data-flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';

/**
 * The caches, data pools and tracked data ports as the worker wires them: flows run through the
 * API and the worker on the real store (SQLite here; WEFT_TEST_STORE=postgres runs the same on
 * PostgreSQL).
 */
describe('data ports in the worker', () => {
  let sys: TestSystem;
  let h: Record<string, string>;

  beforeAll(async () => {
    sys = await createTestSystem({ bodyLimitBytes: 9 * 1024 * 1024 });
    h = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  async function entryContent(name: string, key: string): Promise<unknown> {
    const cache = (await sys.app.inject({ url: `/api/v1/caches?filter[name]=${name}`, headers: h })).json().data[0];
    return (await sys.app.inject({ url: `/api/v1/caches/${cache.id}/entries/${key}`, headers: h })).json().data.content;
  }

  it('lets exactly one of many concurrent runs keep each new record, and loses no append of the kept ones', async () => {
    const flow = await createFlow(
      sys,
      h,
      lineFlow([
        { id: 'dedupe', shape: 'dedupe', config: { pool: 'race', key_field: 'id' } },
        { id: 'collect', shape: 'cache_add', config: { cache: 'kept', key: 'all', scope: 'company', append: true } },
      ]),
    );
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
    const starts = await Promise.all(
      Array.from({ length: 6 }, (_, r) => {
        const mine = r % 2 === 0 ? ids : ids.slice().reverse();
        return sys.app.inject({
          method: 'POST',
          url: `/api/v1/flows/${flow.flowId}/manual/${flow.versionId}`,
          headers: h,
          payload: { payload: JSON.stringify(mine.map((id) => ({ id, run: r }))) },
        });
      }),
    );
    const runs = await Promise.all(starts.map((res) => waitForRun(sys.app, h, res.json().flow_run_id as string, 60_000)));
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('success'));
    const kept = (await entryContent('kept', 'all')) as Array<{ id: string }>;
    expect(kept.map((k) => k.id).sort()).toEqual(ids.slice().sort());
  });

  it('refuses a write that would take a cache past 50 MB, failing the run with CACHE_FULL and keeping the entry whole', async () => {
    const flow = await createFlow(
      sys,
      h,
      lineFlow([{ id: 'collect', shape: 'cache_add', config: { cache: 'big', key: 'k', scope: 'company', append: true } }]),
    );
    // 8 MB per run: the seventh run would pass 50 MB.
    const chunk = Array.from({ length: 800 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(9_996)}`);
    let bytes = 0;
    for (let r = 0; r < 6; r++) {
      const run = await runFlow(sys, h, flow, JSON.stringify(chunk));
      expect(run.status).toBe('success');
    }
    const cache = (await sys.app.inject({ url: '/api/v1/caches?filter[name]=big', headers: h })).json().data[0];
    bytes = cache.bytes;
    expect(bytes).toBeGreaterThan(44 * 1024 * 1024);
    expect(bytes).toBeLessThanOrEqual(CACHE_MAX_BYTES);
    const over = await runFlow(sys, h, flow, JSON.stringify(chunk));
    expect(over.status).toBe('failure');
    expect(over.error).toMatch(/cache "big" would hold 5\d\.\d MB after this write, over its limit of 50\.0 MB; nothing was written/);
    const logs = (await sys.app.inject({ url: `/api/v1/flow-runs/${over.id}/flow-run-logs`, headers: h })).json().data as Array<{
      data: { code?: string } | null;
    }>;
    expect(logs.some((l) => l.data?.code === 'CACHE_FULL')).toBe(true);
    const after = (await sys.app.inject({ url: `/api/v1/caches/${cache.id}`, headers: h })).json().data;
    expect(after.bytes).toBe(bytes);
    expect(((await entryContent('big', 'k')) as unknown[]).length).toBe(6 * 800);
  }, 120_000);

  it('makes a cache_load of a run-scoped cache see only its own run’s entries', async () => {
    const flow = await createFlow(
      sys,
      h,
      lineFlow([
        { id: 'keep', shape: 'cache_add', config: { cache: 'scratch', key: 'input', scope: 'run' } },
        { id: 'load', shape: 'cache_load', config: { cache: 'scratch', key: 'input', scope: 'run', fail_on_miss: true } },
        { id: 'track', shape: 'track_data', config: { fields: [{ path: 'ref', entity: 'ref' }] } },
      ]),
    );
    const first = await runFlow(sys, h, flow, { ref: 'R1' });
    const second = await runFlow(sys, h, flow, { ref: 'R2' });
    expect([first.status, second.status]).toEqual(['success', 'success']);
    const found = await sys.app.inject({ url: `/api/v1/tracked-data?filter[entity]=ref&filter[run_id]=${second.id}`, headers: h });
    expect(found.json().data.map((t: { value: string }) => t.value)).toEqual(['R2']);
    const caches = (await sys.app.inject({ url: '/api/v1/caches?filter[scope]=run&filter[name]=scratch', headers: h })).json().data;
    expect(caches.map((c: { scope_id: string }) => c.scope_id).sort()).toEqual([first.id, second.id].sort());
  });
});
