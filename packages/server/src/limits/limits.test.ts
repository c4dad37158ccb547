import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm, fixture } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { companyLimitsKey, parseOverride } from './limits.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

async function deployedFlow(sys: Sys, h: Record<string, string>): Promise<string> {
  const definition = customersToCrm('http://127.0.0.1:9');
  definition.steps[0] = { id: 'trigger', shape: 'trigger', config: { webhook: { enabled: true } } };
  const created = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Limited', definition } });
  const flowId = created.json().data.id as string;
  await sys.app.inject({
    method: 'POST',
    url: `/api/v1/flow-versions/${created.json().data.draft_version_id}/deploy`,
    headers: h,
    payload: { enable: true },
  });
  return flowId;
}

describe('per-company start limits', () => {
  let sys: Sys;
  beforeAll(async () => {
    // No worker: runs stay queued, which the queued-runs allowance counts.
    sys = await createTestSystem({ startRatePerMinute: 5, webhookRatePerMinute: 2, queuedRunsMax: 0 }, { worker: false });
  });
  afterAll(async () => sys.close());

  const start = (flowId: string, h: Record<string, string>) =>
    sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/start`,
      headers: h,
      payload: { payload: fixture('customers-10.json') },
    });

  it('refuses the start over the rate with 429, Retry-After and START_RATE_LIMITED, per company', async () => {
    const h = sys.auth((await sys.register()).token);
    const other = sys.auth((await sys.register()).token);
    const flowId = await deployedFlow(sys, h);
    const otherFlow = await deployedFlow(sys, other);
    for (let i = 0; i < 5; i++) expect((await start(flowId, h)).statusCode).toBe(200);
    const refused = await start(flowId, h);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('START_RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json().message).toMatch(/5 starts per minute/);
    // Another company has its own allowance.
    expect((await start(otherFlow, other)).statusCode).toBe(200);
    const metrics = await sys.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/weft_admission_refused_total\{code="START_RATE_LIMITED"\} [1-9]/);
  });

  it('applies a per-company override from the settings', async () => {
    const user = await sys.register();
    const h = sys.auth(user.token);
    const flowId = await deployedFlow(sys, h);
    await sys.store.putSetting(companyLimitsKey(user.companyId), JSON.stringify({ start_rate_per_minute: 8 }));
    let accepted = 0;
    for (let i = 0; i < 10; i++) if ((await start(flowId, h)).statusCode === 200) accepted++;
    expect(accepted).toBe(8);
  });

  it('refuses webhook calls over the webhook rate with WEBHOOK_RATE_LIMITED', async () => {
    const user = await sys.register();
    const h = sys.auth(user.token);
    const flowId = await deployedFlow(sys, h);
    const hook = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/webhook`, headers: h });
    const url = new URL(hook.json().data.url as string, 'http://localhost');
    const call = () =>
      sys.app.inject({
        method: 'POST',
        url: `${url.pathname}${url.search}`,
        headers: { 'content-type': 'application/json' },
        payload: '[]',
      });
    expect((await call()).statusCode).toBeLessThan(300);
    expect((await call()).statusCode).toBeLessThan(300);
    const refused = await call();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('WEBHOOK_RATE_LIMITED');
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('refuses new starts while the company has its allowance of queued runs waiting', async () => {
    const user = await sys.register();
    const h = sys.auth(user.token);
    const flowId = await deployedFlow(sys, h);
    await sys.store.putSetting(companyLimitsKey(user.companyId), JSON.stringify({ queued_runs_max: 3, start_rate_per_minute: 0 }));
    for (let i = 0; i < 3; i++) expect((await start(flowId, h)).statusCode).toBe(200);
    const refused = await start(flowId, h);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('QUEUE_FULL');
    expect(refused.headers['retry-after']).toBe('5');
    expect(await sys.store.countQueuedRuns(user.companyId)).toBe(3);
  });
});

describe('limit overrides', () => {
  it('take only known fields with non-negative integers', () => {
    expect(parseOverride('{"start_rate_per_minute": 10, "queued_runs_max": -1, "webhook_rate_per_minute": "9", "x": 1}')).toEqual({
      startRatePerMinute: 10,
    });
    expect(parseOverride('not json')).toEqual({});
    expect(parseOverride('[1]')).toEqual({});
  });
});

describe.skipIf(!process.env.WEFT_TEST_REDIS_URL)('start limits with Redis', () => {
  it('are one allowance for two API processes on the same data', async () => {
    const { randomUUID } = await import('node:crypto');
    const shared = { startRatePerMinute: 4, redisUrl: process.env.WEFT_TEST_REDIS_URL, redisPrefix: `weft-limits-${randomUUID()}` };
    const first = await createTestSystem(shared, { worker: false });
    const second = await createTestSystem({ ...shared, dataDir: first.dataDir }, { worker: false });
    try {
      const h = first.auth((await first.register()).token);
      const flowId = await deployedFlow(first, h);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const sys = i % 2 === 0 ? first : second;
        const res = await sys.app.inject({
          method: 'POST',
          url: `/api/v1/flows/${flowId}/start`,
          headers: h,
          payload: { payload: fixture('customers-10.json') },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
