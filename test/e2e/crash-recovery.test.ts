import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startWeft } from './weft-process.js';

/**
 * quality.md §1.2: a run interrupted by kill -9 resumes from its last completed step. The sink
 * records every delivery by its Idempotency-Key and whether the caller was still connected when
 * the answer was sent, so the test can tell a re-executed completed step (forbidden) from a
 * retry of a step that was in flight at the kill (allowed: at-least-once).
 */
describe('crash recovery of the real server process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('completes every accepted run after SIGKILL and restart without re-running completed steps', { timeout: 120_000 }, async () => {
    const deliveries = new Map<string, Array<{ step: string; run: string; arrivedAt: number; answeredAt: number | null }>>();
    const sink = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const key = String(req.headers['idempotency-key']);
      const record = {
        step: url.searchParams.get('step') ?? '',
        run: url.searchParams.get('run') ?? '',
        arrivedAt: Date.now(),
        answeredAt: null as number | null,
      };
      const list = deliveries.get(key) ?? [];
      list.push(record);
      deliveries.set(key, list);
      req.resume();
      // Slow enough that a kill lands while steps are in flight, and uneven so runs drift apart and
      // the kill finds them at different steps.
      setTimeout(
        () => {
          if (!res.destroyed && !req.socket.destroyed) {
            res.end('{"ok":true}', () => {
              record.answeredAt = Date.now();
            });
          }
        },
        40 + Math.random() * 120,
      );
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.address() as { port: number }).port;

    const port = await freePort();
    const env = {
      WEFT_DATA_DIR: dataDir,
      WEFT_PORT: String(port),
      WEFT_EGRESS_ALLOW: '127.0.0.1',
      WEFT_LEASE_MS: '1500',
      WEFT_RETRY_BASE_MS: '50',
      WEFT_WORKER_CONCURRENCY: '4',
    };
    const base = `http://127.0.0.1:${port}`;
    let weft = startWeft(env);
    await weft.ready;

    const api = async (method: string, url: string, body?: unknown, token?: string) => {
      const res = await fetch(base + url, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    await api('POST', '/api/v1/register', {
      company: 'Crash Ltd',
      name: 'Ops',
      email: 'ops@crash.test',
      password: 'correct horse battery',
    });
    const token = (await api('POST', '/api/v1/login', { email: 'ops@crash.test', password: 'correct horse battery' })).body.token as string;
    const step = (id: string) => ({
      id,
      shape: 'connector',
      config: {
        request: { method: 'POST', url: `http://127.0.0.1:${sinkPort}/deliver?step=${id}&run=[[run.id]]` },
        retries: 2,
        timeout_seconds: 5,
      },
    });
    const definition = {
      steps: [{ id: 'trigger', shape: 'trigger', config: {} }, step('a'), step('b'), step('c')],
      edges: [
        { from: 'trigger', to: 'a' },
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ],
    };
    const flow = (await api('POST', '/api/v1/flows', { name: 'Three deliveries', definition }, token)).body.data;
    await api('POST', `/api/v1/flow-versions/${flow.draft_version_id}/deploy`, { enable: true }, token);

    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await api('POST', `/api/v1/flows/${flow.id}/start`, { payload: JSON.stringify({ n: i }) }, token);
      expect(res.status).toBe(200);
      accepted.push(res.body.flow_run_id);
    }
    // Kill while work is in flight.
    while ([...deliveries.values()].length < 45) await new Promise((r) => setTimeout(r, 10));
    const killedAt = Date.now();
    weft.child.kill('SIGKILL');
    await new Promise((r) => weft.child.once('exit', r));
    const atKill = [...deliveries.values()].flat().length;
    expect(atKill).toBeLessThan(90);

    // Requests the killed process sent can reach the sink a moment after kill() returns; anything
    // that arrives before the new process starts still comes from the old one.
    const restartedAt = Date.now();
    weft = startWeft(env);
    await weft.ready;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const runs = await Promise.all(accepted.map((id) => api('GET', `/api/v1/flow-runs/${id}`, undefined, token)));
      const statuses = runs.map((r) => r.body.data.status as string);
      if (statuses.every((s) => s === 'success')) break;
      expect(statuses.filter((s) => s === 'failure')).toEqual([]);
      if (Date.now() > deadline) throw new Error(`runs not finished: ${statuses.join(',')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    weft.child.kill('SIGTERM');
    await new Promise((r) => weft.child.once('exit', r));
    sink.close();

    // The kill must have come after some steps completed, or the test proves nothing.
    const completedBeforeKill = [...deliveries.values()].filter(
      (l) => l[0]!.answeredAt !== null && l[0]!.answeredAt < killedAt - 300,
    ).length;
    expect(completedBeforeKill).toBeGreaterThan(10);
    // Every run delivered each of its three steps.
    for (const runId of accepted) {
      for (const s of ['a', 'b', 'c']) {
        const hits = [...deliveries.values()].flat().filter((d) => d.run === runId && d.step === s);
        expect(hits.length, `${runId} step ${s}`).toBeGreaterThanOrEqual(1);
      }
    }
    // Steps of one run are sequential, so at most one step per run was in flight at the kill: the
    // last one that had been delivered by then. Only that one may arrive twice; a second delivery
    // of any earlier step means a completed step was executed again.
    const inFlight = new Set<string>();
    for (const runId of accepted) {
      const before = ['a', 'b', 'c'].filter((s) =>
        [...deliveries.values()].some((l) => l[0]!.run === runId && l[0]!.step === s && l[0]!.arrivedAt < restartedAt),
      );
      if (before.length > 0) inFlight.add(`${runId}/${before.at(-1)}`);
    }
    for (const [key, list] of deliveries) {
      expect(new Set(list.map((d) => `${d.run}/${d.step}`)).size, key).toBe(1);
      if (list.length > 1)
        expect(
          inFlight.has(`${list[0]!.run}/${list[0]!.step}`),
          `completed step ${list[0]!.run}/${list[0]!.step} was delivered again`,
        ).toBe(true);
    }
  });
});
