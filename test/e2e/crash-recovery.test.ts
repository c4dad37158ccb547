import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answeredBefore, apiClient, expectAtLeastOnceWithoutRepeats, freePort, startDeliverySink, startWeft } from './weft-process.js';

const STEPS = ['a', 'b', 'c'];

/**
 * quality.md §1.2: a run interrupted by kill -9 resumes from its last completed step. The sink
 * records every delivery by its Idempotency-Key, so the test can tell a re-executed completed step
 * (forbidden) from a retry of the step that was in flight at the kill (allowed: at-least-once).
 */
describe('crash recovery of the real server process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('completes every accepted run after SIGKILL and restart without re-running completed steps', { timeout: 120_000 }, async () => {
    const sink = await startDeliverySink();
    const { deliveries } = sink;
    const port = await freePort();
    const env = {
      WEFT_DATA_DIR: dataDir,
      WEFT_PORT: String(port),
      WEFT_EGRESS_ALLOW: '127.0.0.1',
      WEFT_LEASE_MS: '1500',
      WEFT_RETRY_BASE_MS: '50',
      WEFT_WORKER_CONCURRENCY: '4',
    };
    let weft = startWeft(env);
    await weft.ready;

    const api = apiClient(`http://127.0.0.1:${port}`);
    await api.signUp('ops@crash.test');
    const flowId = await api.deployDeliveryFlow(sink.port, STEPS);
    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await api.call('POST', `/api/v1/flows/${flowId}/start`, { payload: JSON.stringify({ n: i }) });
      expect(res.status).toBe(200);
      accepted.push(res.body.flow_run_id as string);
    }

    // Kill while work is in flight.
    while (deliveries.size < 45) await new Promise((r) => setTimeout(r, 10));
    const killedAt = Date.now();
    weft.child.kill('SIGKILL');
    await new Promise((r) => weft.child.once('exit', r));
    expect([...deliveries.values()].flat().length).toBeLessThan(90);

    // Requests the killed process sent can reach the sink a moment after kill() returns; anything
    // that arrives before the new process starts still comes from the old one.
    const restartedAt = Date.now();
    weft = startWeft(env);
    await weft.ready;
    await api.waitForSuccess(accepted, 60_000);
    weft.child.kill('SIGTERM');
    await new Promise((r) => weft.child.once('exit', r));
    sink.close();

    expect(answeredBefore(deliveries, killedAt)).toBeGreaterThan(10);
    expectAtLeastOnceWithoutRepeats(deliveries, accepted, STEPS, restartedAt);
  });
});
