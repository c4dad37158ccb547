import type { FastifyInstance } from 'fastify';

const TERMINAL = ['success', 'failure', 'partial_success', 'stopped'];

/** Polls the runs API until the run reaches a terminal status. */
export async function waitForRun(app: FastifyInstance, headers: Record<string, string>, runId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}`, headers });
    const run = res.json().data as { status: string; error: string | null; [k: string]: unknown };
    if (TERMINAL.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
