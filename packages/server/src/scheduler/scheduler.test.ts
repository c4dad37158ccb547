import path from 'node:path';
import type { FlowDefinition } from '@weft/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { customersToCrm } from '../test-support/flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';
import { createScheduler, lastTick, nextTick } from './scheduler.js';

const noQueue = { enqueue: async () => {} };

function scheduled(schedules: string[], webhook?: Record<string, unknown>): FlowDefinition {
  const def = customersToCrm('http://127.0.0.1:9');
  def.steps[0] = { id: 'trigger', shape: 'trigger', config: { schedules, ...(webhook && { webhook }) } };
  return def;
}

describe('the scheduler', () => {
  let sys: TestSystem;
  let h: { authorization: string };

  beforeEach(async () => {
    // No worker, so no scheduler of the system's own: the tests drive tick() with their clock.
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
  });
  afterEach(() => sys.close());

  async function flow(definition: FlowDefinition, deploy: { enable?: boolean } | false = { enable: true }) {
    const created = (
      await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Cron', definition } })
    ).json().data;
    if (deploy !== false)
      await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flow-versions/${created.draft_version_id}/deploy`,
        headers: h,
        payload: deploy,
      });
    return created as { id: string; draft_version_id: string };
  }

  async function scheduleRuns(flowId: string) {
    const res = await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs?flow_id=${flowId}&trigger=schedule`, headers: h });
    return res.json().data as Array<{ id: string; trigger: string }>;
  }

  it('fires one run per tick even when two schedulers on two stores of one database tick the same minute', async () => {
    const f = await flow(scheduled(['* * * * *']));
    const other: Store = createSqliteStore({ file: path.join(sys.dataDir, 'weft.db'), payloadDir: path.join(sys.dataDir, 'payloads') });
    await other.migrate();
    try {
      const a = createScheduler({ store: sys.store, queue: noQueue });
      const b = createScheduler({ store: other, queue: noQueue });
      const minute = new Date('2030-06-01T10:15:05.000Z');
      const fired = await Promise.all([a.tick(minute), b.tick(minute), a.tick(new Date('2030-06-01T10:15:20.000Z'))]);
      expect(fired.flat()).toHaveLength(1);
      expect(fired.flat()[0]).toMatchObject({ flowId: f.id, trigger: 'schedule', status: 'queued' });
      await b.tick(new Date('2030-06-01T10:16:01.000Z'));
      expect(await scheduleRuns(f.id)).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it('does not replay ticks missed while it was not running', async () => {
    const f = await flow(scheduled(['0 6 * * *']));
    const s = createScheduler({ store: sys.store, queue: noQueue, intervalMs: 15_000 });
    expect(await s.tick(new Date('2030-06-01T09:00:00.000Z'))).toEqual([]);
    expect(await s.tick(new Date('2030-06-01T06:00:10.000Z'))).toHaveLength(1);
    expect(await scheduleRuns(f.id)).toHaveLength(1);
  });

  it('leaves disabled flows and undeployed drafts alone', async () => {
    const disabled = await flow(scheduled(['* * * * *']), {});
    const draft = await flow(scheduled(['* * * * *']), false);
    const s = createScheduler({ store: sys.store, queue: noQueue });
    expect(await s.tick(new Date('2030-06-01T10:15:00.000Z'))).toEqual([]);
    expect(await scheduleRuns(disabled.id)).toEqual([]);
    expect(await scheduleRuns(draft.id)).toEqual([]);
  });

  it('shows the next fire time of each deployed schedule, and none while the flow is disabled', async () => {
    const f = await flow(scheduled(['*/5 * * * *', '0 6 * * *']));
    const res = await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${f.id}/schedules`, headers: h });
    expect(res.statusCode).toBe(200);
    const data = res.json().data as Array<{ cron: string; next_fire_at: string }>;
    expect(data.map((d) => d.cron)).toEqual(['*/5 * * * *', '0 6 * * *']);
    expect(new Date(data[0]!.next_fire_at).getUTCMinutes() % 5).toBe(0);
    expect(data[1]!.next_fire_at).toMatch(/T06:00:00\.000Z$/);
    await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${f.id}`, headers: h, payload: { enabled: false } });
    const off = await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${f.id}/schedules`, headers: h });
    expect(off.json().data.map((d: { next_fire_at: unknown }) => d.next_fire_at)).toEqual([null, null]);
  });

  it("answers 404 for another company's flow schedules", async () => {
    const f = await flow(scheduled(['* * * * *']));
    const other = sys.auth((await sys.register()).token);
    const res = await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${f.id}/schedules`, headers: other });
    expect(res.statusCode).toBe(404);
  });

  it('refuses a cron with six fields at validation, naming its path', async () => {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Bad', definition: scheduled(['0 0 6 * * *']) },
    });
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors ?? {}).join(' ')).toContain('schedules[0]');
  });
});

describe('cron ticks', () => {
  it('takes the tick at or before now and the next one after it, in UTC', () => {
    expect(lastTick('*/5 * * * *', new Date('2030-01-01T00:10:00.000Z')).toISOString()).toBe('2030-01-01T00:10:00.000Z');
    expect(lastTick('*/5 * * * *', new Date('2030-01-01T00:12:00.000Z')).toISOString()).toBe('2030-01-01T00:10:00.000Z');
    expect(nextTick('0 6 * * *', new Date('2030-01-01T06:00:00.000Z'))?.toISOString()).toBe('2030-01-02T06:00:00.000Z');
    expect(nextTick('99 * * * *', new Date())).toBeUndefined();
  });
});
