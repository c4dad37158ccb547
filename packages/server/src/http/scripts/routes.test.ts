import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem } from '../../test-support/harness.js';
import { waitForRun } from '../../test-support/runs.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

const TS_SCRIPT = `interface Order { id: string; lines: Array<{ qty: number; price: number }> }
function main({ payload, meta, variables }: { payload: Order; meta: Record<string, string>; variables: Record<string, string> }) {
  const total: number = payload.lines.reduce((sum, l) => sum + l.qty * l.price, 0);
  console.log('order', payload.id, 'total', total);
  return { payload: { id: payload.id, total, region: variables.region ?? 'none' }, meta: { totalled: 'yes' } };
}
`;

describe('company scripts through the HTTP API', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    sys = await createTestSystem({});
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers = h) =>
    sys.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  async function createScript(body: Record<string, unknown>) {
    const res = await call('POST', '/api/v1/scripts', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data as { id: string; name: string; draft_version: number };
  }

  /** Creates and deploys a flow trigger → script step (→ more steps), runs it on `payload`, answers the run and the script step's output. */
  async function runFlow(stepConfig: Record<string, unknown>, payload: unknown, headers = h) {
    const flow = await call(
      'POST',
      '/api/v1/flows',
      {
        name: `script flow ${Math.random()}`,
        definition: {
          format: 'json',
          variables: { region: 'eu' },
          steps: [
            { id: 'trigger', shape: 'trigger', config: {} },
            { id: 'run-script', shape: 'script', config: stepConfig },
          ],
          edges: [{ from: 'trigger', to: 'run-script' }],
        },
      },
      headers,
    );
    expect(flow.statusCode, flow.body).toBe(201);
    const started = await call(
      'POST',
      `/api/v1/flows/${flow.json().data.id}/manual/${flow.json().data.draft_version_id}`,
      { payload: JSON.stringify(payload) },
      headers,
    );
    expect(started.statusCode, started.body).toBe(200);
    const run = await waitForRun(sys.app, headers, started.json().flow_run_id, 30_000);
    const logs = (await call('GET', `/api/v1/flow-runs/${run.id}/flow-run-logs`, undefined, headers)).json().data as Array<{
      step_id: string | null;
      message: string;
      payload_ids_out: string[];
    }>;
    const out = logs.find((l) => l.step_id === 'run-script' && l.payload_ids_out.length > 0)?.payload_ids_out[0];
    const output = out === undefined ? undefined : (await call('GET', `/api/v1/payloads/${out}/download`, undefined, headers)).json();
    const meta = out === undefined ? undefined : (await call('GET', `/api/v1/payloads/${out}`, undefined, headers)).json().data.meta;
    return { run, logs, output, meta };
  }

  it('creates a script with a starting draft, edits it, deploys TypeScript, and a flow step runs it with the right output', async () => {
    const script = await createScript({ name: 'order-totals', language: 'typescript', description: 'sums order lines' });
    expect(script).toMatchObject({
      draft_version: 1,
      deployed_version: null,
      language: 'typescript',
      code: expect.stringContaining('function main'),
    });

    const edited = await call('PATCH', `/api/v1/scripts/${script.id}`, { code: TS_SCRIPT });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().data).toMatchObject({ code: TS_SCRIPT, draft_version: 1 });

    const deployed = await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    expect(deployed.statusCode, deployed.body).toBe(200);
    expect(deployed.json().data).toMatchObject({ number: 1, status: 'deployed', deployed_at: expect.any(String) });
    expect((await call('GET', `/api/v1/scripts/${script.id}`)).json().data).toMatchObject({
      draft_version: 2,
      deployed_version: 1,
      code: TS_SCRIPT,
    });

    const version = (await call('GET', `/api/v1/scripts/${script.id}/versions/1`)).json().data;
    expect(version.code).toBe(TS_SCRIPT);
    expect(version.compiled).not.toContain('interface Order');

    const { run, logs, output, meta } = await runFlow(
      { script: 'order-totals' },
      {
        id: 'A-1',
        lines: [
          { qty: 2, price: 5 },
          { qty: 1, price: 2.5 },
        ],
      },
    );
    expect(run.status).toBe('success');
    expect(output).toEqual({ id: 'A-1', total: 12.5, region: 'eu' });
    expect(meta).toMatchObject({ totalled: 'yes' });
    expect(logs.map((l) => l.message)).toContain('order A-1 total 12.5');
  });

  it('runs the deployed version, not the draft, and a pinned earlier version on request', async () => {
    const script = await createScript({ name: 'versioned', code: 'function main() { return { payload: "v1" }; }' });
    await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    await call('PATCH', `/api/v1/scripts/${script.id}`, { code: 'function main() { return { payload: "draft" }; }' });
    expect((await runFlow({ script: 'versioned' }, {})).output).toBe('v1');
    await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    expect((await runFlow({ script: 'versioned' }, {})).output).toBe('draft');
    expect((await runFlow({ script: 'versioned', version: 1 }, {})).output).toBe('v1');
    const versions = (await call('GET', `/api/v1/scripts/${script.id}/versions`)).json().data;
    expect(versions.map((v: { number: number; status: string }) => [v.number, v.status])).toEqual([
      [3, 'draft'],
      [2, 'deployed'],
      [1, 'inactive'],
    ]);
    expect(versions[0].code).toBeUndefined();
  });

  it('fails the step with a clear message for a script that was never deployed or does not exist', async () => {
    await createScript({ name: 'never-deployed' });
    const undeployed = await runFlow({ script: 'never-deployed' }, {});
    expect(undeployed.run.status).toBe('failure');
    expect(undeployed.run.error).toContain('script "never-deployed" has no deployed version; deploy it');
    const unknown = await runFlow({ script: 'no-such-script' }, {});
    expect(unknown.run.status).toBe('failure');
    expect(unknown.run.error).toContain('script "no-such-script" has no deployed version');
  });

  it('keeps scripts to their company: another company cannot see, change, deploy or run them', async () => {
    const script = await createScript({ name: 'private', code: 'function main() { return { payload: "secret" }; }' });
    await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    for (const [method, url, body] of [
      ['GET', `/api/v1/scripts/${script.id}`],
      ['PATCH', `/api/v1/scripts/${script.id}`, { description: 'x' }],
      ['POST', `/api/v1/scripts/${script.id}/deploy`],
      ['POST', `/api/v1/scripts/${script.id}/test`, {}],
      ['GET', `/api/v1/scripts/${script.id}/versions`],
      ['GET', `/api/v1/scripts/${script.id}/versions/1`],
      ['DELETE', `/api/v1/scripts/${script.id}`],
    ] as const) {
      const res = await call(method, url, body, other);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await call('GET', '/api/v1/scripts', undefined, other)).json().meta.total).toBe(0);
    const theirs = await runFlow({ script: 'private' }, {}, other);
    expect(theirs.run.status).toBe('failure');
    expect(theirs.run.error).toContain('script "private" has no deployed version');
    // The other company may use the same name for its own script.
    expect((await call('POST', '/api/v1/scripts', { name: 'private' }, other)).statusCode).toBe(201);
  });

  it('refuses to deploy code that does not compile or defines no main, naming line and column, and deploys nothing', async () => {
    const script = await createScript({
      name: 'broken',
      language: 'typescript',
      code: 'function main(i: number) {\n  return { payload: i +* 2 };\n}\n',
    });
    const res = await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().errors.code[0]).toMatch(/^line 2, column \d+: /);
    expect(res.json().message).toMatch(/^The script cannot be deployed: line 2, column \d+: /);

    await call('PATCH', `/api/v1/scripts/${script.id}`, { language: 'javascript', code: 'function helper() {}' });
    const noMain = await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    expect(noMain.statusCode).toBe(422);
    expect(noMain.json().errors.code).toEqual([expect.stringMatching(/^the script defines no main/)]);

    await call('PATCH', `/api/v1/scripts/${script.id}`, { code: 'export function main() {}' });
    const module = await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    expect(module.statusCode).toBe(422);
    expect(module.json().errors.code[0]).toMatch(/^line 1, column \d+: SyntaxError: .*plain scripts/);
    expect((await call('GET', `/api/v1/scripts/${script.id}`)).json().data.deployed_version).toBeNull();
  });

  it('records successful and refused deploys in the audit log', async () => {
    const script = await createScript({ name: 'audited' });
    await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    await call('PATCH', `/api/v1/scripts/${script.id}`, { code: 'nope(' });
    await call('POST', `/api/v1/scripts/${script.id}/deploy`);
    await call('DELETE', `/api/v1/scripts/${script.id}`);
    const audit = (await call('GET', `/api/v1/audit-logs?filter[target_id]=${script.id}`)).json().data as Array<Record<string, unknown>>;
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['script.deleted', 'success'],
      ['script.deployed', 'failure'],
      ['script.deployed', 'success'],
    ]);
    expect(audit[2]).toMatchObject({ target_type: 'script', data: { name: 'audited', number: 1, language: 'javascript' } });
  });

  it('test-runs the draft on a sample, answering the output and logs, or the error and logs', async () => {
    const script = await createScript({
      name: 'tested',
      code: 'function main({ payload, meta, variables }) {\n  console.log("got", payload.n);\n  if (payload.n < 0) throw new Error("negative");\n  return { payload: payload.n * 2, variables: { seen: meta.from + variables.x } };\n}\n',
    });
    const ok = await call('POST', `/api/v1/scripts/${script.id}/test`, { payload: { n: 21 }, meta: { from: 'a' }, variables: { x: 'b' } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().data).toMatchObject({
      ok: true,
      output: { payload: 42, variables: { seen: 'ab' } },
      logs: ['got 21'],
      duration_ms: expect.any(Number),
    });

    const failed = await call('POST', `/api/v1/scripts/${script.id}/test`, { payload: { n: -1 } });
    expect(failed.statusCode).toBe(200);
    expect(failed.json().data).toMatchObject({
      ok: false,
      error: { code: 'SCRIPT_ERROR', message: expect.stringContaining('negative') },
      logs: ['got -1'],
    });

    expect((await call('POST', `/api/v1/scripts/${script.id}/test`, { version: 1 })).statusCode).toBe(404);
    expect((await call('POST', `/api/v1/scripts/${script.id}/test`, { payload: 1, extra: true })).statusCode).toBe(422);
    await call('PATCH', `/api/v1/scripts/${script.id}`, { code: 'function main( {' });
    const broken = await call('POST', `/api/v1/scripts/${script.id}/test`, {});
    expect(broken.statusCode).toBe(422);
    expect(broken.json().errors.code[0]).toMatch(/^line 1, column \d+/);
  });

  it('refuses bad bodies and a taken name with the field named', async () => {
    const bad = await call('POST', '/api/v1/scripts', { name: '', language: 'python' });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().errors)).toEqual(expect.arrayContaining(['name']));
    expect((await call('POST', '/api/v1/scripts', { name: 'x', language: 'python' })).json().errors).toHaveProperty('language');
    expect((await call('POST', '/api/v1/scripts', { name: 'x', colour: 'red' })).json().errors).toHaveProperty('colour');
    await createScript({ name: 'taken' });
    const taken = await call('POST', '/api/v1/scripts', { name: 'taken' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toContain('"taken" exists already');
    expect((await call('GET', '/api/v1/scripts/unknown-id')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/scripts?filter[name]=TAKE')).json().data.map((s: { name: string }) => s.name)).toEqual(['taken']);
  });
});
