import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../test-support/canary.js';
import { customersToCrm, fixture } from '../test-support/flows.js';
import { createTestSystem, TEST_PASSWORD } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';
import { createLogger, stripSecrets } from './logger.js';

/** Collects every line the logger writes, parsed. */
function collector() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('structured logs', () => {
  const out = collector();
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], logLevel: 'debug' }, { logStream: out.stream });
  });
  afterAll(async () => {
    await sys.close();
    await sink.close();
  });

  it('writes one JSON object per line, with the request id on request lines and the run id on worker lines', async () => {
    const user = await sys.register();
    const h = sys.auth(user.token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Logged', definition: customersToCrm(sink.url) },
    });
    const { id: flowId, draft_version_id: versionId } = created.json().data;
    const started = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flowId}/manual/${versionId}`,
      headers: h,
      payload: { payload: fixture('customers-10.json') },
    });
    const runId = started.json().flow_run_id as string;
    await waitForRun(sys.app, h, runId);
    const lines = out.parsed();
    expect(lines.length).toBeGreaterThan(0);
    const requestLines = lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    expect(requestLines.length).toBeGreaterThan(0);
    for (const l of requestLines) expect(typeof l.reqId).toBe('string');
    const runLines = lines.filter((l) => l.component === 'worker');
    expect(runLines.some((l) => l.msg === 'run finished' && l.runId === runId && l.status === 'success')).toBe(true);
  });

  it('never writes tokens, passwords, webhook secrets or Authorization headers', async () => {
    const user = await sys.register();
    await sys.login(user.email, TEST_PASSWORD);
    await sys.app.inject({
      method: 'POST',
      url: '/api/v1/login',
      payload: { email: user.email, password: `wrong-but-secret-guess-${CANARY}` },
    });
    await sys.app.inject({ method: 'GET', url: '/api/v1/flows', headers: { authorization: `Bearer ${user.token}` } });
    await sys.app.inject({ method: 'POST', url: `/api/v1/webhooks/x/y?signature=whsec-${CANARY}`, payload: '{}' });
    const text = out.lines.join('\n');
    expect(text).not.toContain(user.token);
    expect(text).not.toContain(TEST_PASSWORD);
    expect(text).not.toContain(`wrong-but-secret-guess-${CANARY}`);
    expect(text).not.toContain(`whsec-${CANARY}`);
    expect(text).toContain('signature=[redacted]');
  });

  it('redacts secret-named fields whoever logs them', () => {
    const own = collector();
    const logger = createLogger({ logLevel: 'info' }, own.stream);
    logger.info(
      { password: 'p1', credentials: { token: 't1' }, req: { headers: { authorization: 'Bearer a1' } }, nested: { secret: 's1' } },
      'x',
    );
    expect(own.lines.join('')).not.toMatch(/p1|t1|a1|s1/);
    expect(stripSecrets('/a?b=1&token=abc&signature=def')).toBe('/a?b=1&token=[redacted]&signature=[redacted]');
  });
});
