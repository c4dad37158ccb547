import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { CANARY } from '../../packages/server/src/test-support/canary.js';

/** The password apiClient signs up with; it carries the leak canary, as every secret the tests hand the product does. */
export const E2E_PASSWORD = `correct horse battery ${CANARY}`;

export const WEFT_BIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

/**
 * Runs the real `weft` binary (built by `npm test` before the suite) as a user would: `weft start`
 * unless other arguments are given (`['api']`, `['worker', '--concurrency', '4']`).
 */
export function startWeft(
  env: Record<string, string>,
  args: string[] = ['start'],
): { child: ChildProcess; ready: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], {
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('listening on') || out.includes('worker started')) resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`weft exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`weft did not start in time: ${out}`)), 30_000).unref();
  });
  return { child, ready, output: () => out };
}

export function runWeft(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WEFT_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Delivery {
  step: string;
  run: string;
  arrivedAt: number;
  answeredAt: number | null;
}

/**
 * An HTTP target on 127.0.0.1 that records every delivery by its Idempotency-Key, and whether the
 * caller was still connected when the answer went out. Answers are slow and uneven so a kill finds
 * runs at different steps.
 */
export async function startDeliverySink(): Promise<{ port: number; deliveries: Map<string, Delivery[]>; close(): void }> {
  const { createServer } = await import('node:http');
  const deliveries = new Map<string, Delivery[]>();
  const sink = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = String(req.headers['idempotency-key']);
    const record: Delivery = {
      step: url.searchParams.get('step') ?? '',
      run: url.searchParams.get('run') ?? '',
      arrivedAt: Date.now(),
      answeredAt: null,
    };
    const list = deliveries.get(key) ?? [];
    list.push(record);
    deliveries.set(key, list);
    req.resume();
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
  return { port: (sink.address() as { port: number }).port, deliveries, close: () => sink.close() };
}

/** A JSON client for the API at base, with the bearer token once set. */
export function apiClient(base: string) {
  let token: string | undefined;
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  return {
    call,
    /** Registers a company and logs its administrator in. */
    async signUp(email: string) {
      await call('POST', '/api/v1/register', { company: `Co ${email}`, name: 'Ops', email, password: E2E_PASSWORD });
      token = (await call('POST', '/api/v1/login', { email, password: E2E_PASSWORD })).body.token as string;
    },
    /** Creates, deploys and enables a flow of connector steps that each POST to the sink. */
    async deployDeliveryFlow(sinkPort: number, stepIds: string[]): Promise<string> {
      const step = (id: string) => ({
        id,
        shape: 'connector',
        config: {
          request: { method: 'POST', url: `http://127.0.0.1:${sinkPort}/deliver?step=${id}&run=[[run.id]]` },
          retries: 2,
          timeout_seconds: 5,
        },
      });
      const ids = ['trigger', ...stepIds];
      const definition = {
        steps: [{ id: 'trigger', shape: 'trigger', config: {} }, ...stepIds.map(step)],
        edges: ids.slice(1).map((to, i) => ({ from: ids[i]!, to })),
      };
      const flow = (await call('POST', '/api/v1/flows', { name: 'Deliveries', definition })).body.data;
      await call('POST', `/api/v1/flow-versions/${flow.draft_version_id}/deploy`, { enable: true });
      return flow.id as string;
    },
    /** Polls until every run succeeded; fails at once on a failed run. */
    async waitForSuccess(runIds: string[], timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runs = await Promise.all(runIds.map((id) => call('GET', `/api/v1/flow-runs/${id}`)));
        const statuses = runs.map((r) => r.body.data.status as string);
        if (statuses.every((s) => s === 'success')) return;
        const failed = statuses.filter((s) => s === 'failure');
        if (failed.length > 0) throw new Error(`${failed.length} runs failed`);
        if (Date.now() > deadline) throw new Error(`runs not finished: ${statuses.join(',')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

/**
 * The at-least-once promise of quality.md §1.2, checked on a delivery sink's record: every run
 * delivered each of its steps, and a delivery seen twice is the step that was in flight when its
 * worker died. Steps of one run are sequential, so that is the last step of the run whose first
 * delivery arrived before `cutoff`, the moment after which nothing sent by the dead process can
 * still arrive (a restart, or less than a lease after the kill). Any other repeat means a completed
 * step was executed again.
 */
export function expectAtLeastOnceWithoutRepeats(
  deliveries: Map<string, Delivery[]>,
  accepted: string[],
  steps: string[],
  cutoff: number,
): void {
  const firsts = [...deliveries.values()].map((l) => l[0]!);
  const all = [...deliveries.values()].flat();
  const inFlight = new Set<string>();
  for (const runId of accepted) {
    for (const s of steps)
      expect(
        all.some((d) => d.run === runId && d.step === s),
        `${runId} step ${s}`,
      ).toBe(true);
    const before = steps.filter((s) => firsts.some((d) => d.run === runId && d.step === s && d.arrivedAt < cutoff));
    if (before.length > 0) inFlight.add(`${runId}/${before.at(-1)}`);
  }
  for (const [key, list] of deliveries) {
    expect(new Set(list.map((d) => `${d.run}/${d.step}`)).size, key).toBe(1);
    if (list.length > 1)
      expect(inFlight.has(`${list[0]!.run}/${list[0]!.step}`), `completed step ${list[0]!.run}/${list[0]!.step} was delivered again`).toBe(
        true,
      );
  }
}

/** How many deliveries had been answered well before `at`: a kill must come after some, or a test proves nothing. */
export function answeredBefore(deliveries: Map<string, Delivery[]>, at: number): number {
  return [...deliveries.values()].filter((l) => l[0]!.answeredAt !== null && l[0]!.answeredAt < at - 300).length;
}
