import type { FlowDefinition } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { createChildRuns, RUN_FLOW_MAX_DEPTH } from './child-runs.js';

const trigger = { id: 'trigger', shape: 'trigger', config: {} };

/** trigger → map: doubles `n` into `doubled`. */
const doubler: FlowDefinition = {
  format: 'json',
  steps: [
    trigger,
    {
      id: 'double',
      shape: 'map',
      config: { rules: [{ source: 'n', target: 'doubled', transforms: [{ fn: 'multiply', args: { by: 2 } }] }] },
    },
  ],
  edges: [{ from: 'trigger', to: 'double' }],
};

/** trigger → split (one payload per element) → run_flow. */
function parent(runFlow: Record<string, unknown>): FlowDefinition {
  return {
    format: 'json',
    steps: [trigger, { id: 'split', shape: 'split', config: {} }, { id: 'children', shape: 'run_flow', config: runFlow }],
    edges: [
      { from: 'trigger', to: 'split' },
      { from: 'split', to: 'children' },
    ],
  };
}

describe('run_flow with the real store, queue and worker', () => {
  let sys: TestSystem;
  let h: { authorization: string };
  let companyId: string;

  beforeAll(async () => {
    sys = await createTestSystem({ retryBaseMs: 10 });
    const user = await sys.register();
    h = sys.auth(user.token);
    companyId = user.companyId;
  });
  afterAll(() => sys.close());

  async function deployed(name: string, definition: FlowDefinition) {
    const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name, definition } })).json().data;
    const res = await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
      headers: h,
      payload: { enable: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    return flow as { id: string; draft_version_id: string };
  }

  async function start(flowId: string, payload: string) {
    const res = await sys.app.inject({ method: 'POST', url: `/api/v1/flows/${flowId}/start`, headers: h, payload: { payload } });
    expect(res.statusCode, res.body).toBe(200);
    return waitForRun(sys.app, h, res.json().flow_run_id, 30_000);
  }

  const children = async (runId: string) =>
    (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${runId}/children`, headers: h })).json().data as Array<{
      id: string;
      status: string;
      trigger: string;
      parent_run_id: string;
      flow_id: string;
    }>;

  it("waits for one child per payload and passes on the children's final payloads; parent and children are linked", async () => {
    const child = await deployed('Doubler', doubler);
    const main = await deployed('Fan out and wait', parent({ flow: 'Doubler', wait: true }));
    const run = await start(main.id, '[{"n":1},{"n":2},{"n":3}]');
    expect(run.status, String(run.error)).toBe('success');

    const kids = await children(run.id as string);
    expect(kids).toHaveLength(3);
    for (const kid of kids) expect(kid).toMatchObject({ status: 'success', trigger: 'shape', parent_run_id: run.id, flow_id: child.id });

    const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: h })).json().data;
    const out = logs.find((l: { step_id: string; payload_ids_out: string[] }) => l.step_id === 'children' && l.payload_ids_out.length > 0);
    const bodies = await Promise.all(
      out.payload_ids_out.map(async (id: string) =>
        (await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${id}/download`, headers: h })).json(),
      ),
    );
    expect(bodies).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
  });

  it('fires and forgets without wait: the parent finishes, its children run on their own', async () => {
    await deployed('Doubler 2', doubler);
    const main = await deployed('Fire and forget', parent({ flow: 'Doubler 2' }));
    const run = await start(main.id, '[{"n":5},{"n":6}]');
    expect(run.status).toBe('success');
    const kids = await children(run.id as string);
    expect(kids).toHaveLength(2);
    for (const kid of kids) expect((await waitForRun(sys.app, h, kid.id)).status).toBe('success');
  });

  it('fails the parent with CHILD_RUN_FAILED when a waited-for child fails', async () => {
    await deployed('Always fails', {
      steps: [trigger, { id: 'check', shape: 'assert', config: { expected: { impossible: true } } }],
      edges: [{ from: 'trigger', to: 'check' }],
    });
    const main = await deployed('Waits on a failure', parent({ flow: 'Always fails', wait: true }));
    const run = await start(main.id, '[{"n":1}]');
    expect(run.status).toBe('failure');
    const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: h })).json().data;
    expect(JSON.stringify(logs)).toContain('child runs did not succeed');
  });

  it('refuses at run time a flow that starts itself through another (A → B → A), with RUN_FLOW_CYCLE', async () => {
    const b = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Cycle B' } })).json().data;
    const a = await deployed('Cycle A', parent({ flow: 'Cycle B', wait: true }));
    // B's loop back to A would be refused at deploy; the store takes it as an older Weft might have.
    await sys.store.updateDraft(companyId, b.draft_version_id, parent({ flow: 'Cycle A', wait: true }));
    await sys.store.deployVersion(companyId, b.draft_version_id, { enable: true });
    const run = await start(a.id, '[{"n":1}]');
    expect(run.status).toBe('failure');
    const [child] = await children(run.id as string);
    expect(child?.status).toBe('failure');
    const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${child!.id}/flow-run-logs`, headers: h })).json().data;
    expect(JSON.stringify(logs)).toContain('a flow may not start itself, directly or through others');
    // B started no grandchild.
    expect(await children(child!.id)).toEqual([]);
  });

  it('refuses at deploy a flow that would start itself through the deployed version of another', async () => {
    const y = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Loop Y' } })).json().data;
    await deployed('Loop X', parent({ flow: 'Loop Y' }));
    await deployed('Loop Z', doubler);
    const put = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${y.draft_version_id}`,
      headers: h,
      payload: {
        definition: {
          ...parent({ flow: 'Loop Z' }),
          steps: [...parent({ flow: 'Loop Z' }).steps, { id: 'back', shape: 'run_flow', config: { flow: 'Loop X' } }],
          edges: [...parent({ flow: 'Loop Z' }).edges, { from: 'split', to: 'back' }],
        },
      },
    });
    expect(put.statusCode).toBe(422);
    expect(put.json().errors).toEqual({
      'definition.steps[3].config.flow': ['starts "Loop X" → this flow again; a flow may not start itself through others'],
    });
    // Loop Z leads nowhere back, so a definition naming only it is fine.
    const ok = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${y.draft_version_id}`,
      headers: h,
      payload: { definition: parent({ flow: 'Loop Z' }) },
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('refuses at validation a run_flow step that starts its own flow, by name or id, naming the field', async () => {
    const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Selfish' } })).json().data;
    for (const reference of ['Selfish', flow.id]) {
      const res = await sys.app.inject({
        method: 'PUT',
        url: `/api/v1/flow-versions/${flow.draft_version_id}`,
        headers: h,
        payload: { definition: parent({ flow: reference }) },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual({
        'definition.steps[2].config.flow': [`starts this flow itself ("${reference}"); a flow may not run itself`],
      });
    }
  });

  it('refuses at save a run_flow step naming a flow or version the company does not have, or an ambiguous name', async () => {
    await deployed('Twin', doubler);
    await deployed('Twin', doubler);
    await deployed('Doubler 5', doubler);
    const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'References' } })).json().data;
    const definition = parent({ flow: 'Nowhere' });
    definition.steps.push(
      { id: 'twin', shape: 'run_flow', config: { flow: 'Twin' } },
      { id: 'old', shape: 'run_flow', config: { flow: 'Doubler 5', version: 7 } },
    );
    definition.edges.push({ from: 'split', to: 'twin' }, { from: 'split', to: 'old' });
    const res = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${flow.draft_version_id}`,
      headers: h,
      payload: { definition },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual({
      'definition.steps[2].config.flow': ['there is no flow "Nowhere" (by id or exact name) in this company'],
      'definition.steps[3].config.flow': ['2 flows are named "Twin"; name the flow by its id'],
      'definition.steps[4].config.version': ['flow "Doubler 5" has no version 7'],
    });
    // Another company's flow is no flow at all.
    const other = await sys.register();
    const theirs = (
      await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: sys.auth(other.token), payload: { name: 'Theirs' } })
    ).json().data;
    const foreign = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${flow.draft_version_id}`,
      headers: h,
      payload: { definition: parent({ flow: theirs.id }) },
    });
    expect(foreign.json().errors).toEqual({
      'definition.steps[2].config.flow': [`there is no flow "${theirs.id}" (by id or exact name) in this company`],
    });
  });

  it('refuses bad run_flow configs with field paths', async () => {
    const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Bad configs' } })).json().data;
    const res = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${flow.draft_version_id}`,
      headers: h,
      payload: { definition: parent({ flow: '', version: 0, output: 'statuses', wait_timeout_seconds: 999_999 }) },
    });
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors).sort()).toEqual([
      'definition.steps[2].config.flow',
      'definition.steps[2].config.version',
      'definition.steps[2].config.wait_timeout_seconds',
    ]);
    const noWait = await sys.app.inject({
      method: 'PUT',
      url: `/api/v1/flow-versions/${flow.draft_version_id}`,
      headers: h,
      payload: { definition: parent({ flow: 'Doubler', output: 'statuses' }) },
    });
    expect(noWait.json().errors).toEqual({
      'definition.steps[2].config.output': ['is only used with "wait": true; remove it or set wait to true'],
    });
  });

  it('fails the step clearly for an unknown flow or version, a name two flows share, a disabled flow and one never deployed', async () => {
    const draftOnly = (
      await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Never deployed', definition: doubler } })
    ).json().data;
    await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${draftOnly.id}`, headers: h, payload: { enabled: true } });
    const disabled = await deployed('Switched off', doubler);
    await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${disabled.id}`, headers: h, payload: { enabled: false } });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ flow: 'No such flow' }, 'there is no flow \\"No such flow\\"'],
      [{ flow: 'Switched off' }, 'is disabled'],
      [{ flow: 'Never deployed' }, 'has no deployed version'],
      [{ flow: 'Switched off', version: 99 }, 'is disabled'],
    ];
    await deployed('Doubler 3', doubler);
    cases.push([{ flow: 'Doubler 3', version: 99 }, 'has no version 99']);
    await deployed('Twin at run time', doubler);
    await deployed('Twin at run time', doubler);
    cases.push([{ flow: 'Twin at run time' }, '2 flows are named \\"Twin at run time\\"; name the flow by its id']);
    for (const [config, message] of cases) {
      // Unknown flows and versions are refused at save; the store takes them, as when a flow is deleted later.
      const main = (
        await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: `Bad target ${Math.random()}` } })
      ).json().data;
      await sys.store.updateDraft(companyId, main.draft_version_id, parent(config));
      await sys.store.deployVersion(companyId, main.draft_version_id, { enable: true });
      const run = await start(main.id, '[{"n":1}]');
      expect(run.status, JSON.stringify(config)).toBe('failure');
      const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: h })).json().data;
      expect(JSON.stringify(logs), JSON.stringify(config)).toContain(message);
    }
  });

  describe('the ChildRuns port', () => {
    it('starts a child once per idempotency key: a resumed parent gets its first child back', async () => {
      const child = await deployed('Doubler 4', doubler);
      const main = await deployed('Parent for the port', parent({ flow: 'Doubler 4' }));
      const { run: parentRun } = await sys.store.createRun(companyId, {
        flowId: main.id,
        versionId: main.draft_version_id,
        trigger: 'api',
        priority: 3,
        expedite: false,
        input: { format: 'json', meta: {}, body: Buffer.from('[]') },
      });
      const port = createChildRuns({ store: sys.store, queue: { enqueue: async () => {} } as never });
      const info = {
        id: parentRun.id,
        companyId,
        flowId: main.id,
        versionId: main.draft_version_id,
        trigger: 'api' as const,
        queuedAt: parentRun.queuedAt,
      };
      const input = {
        parent: info,
        flow: child.id,
        payload: { format: 'json' as const, meta: {}, body: Buffer.from('{"n":1}') },
        idempotencyKey: 'k-1',
      };
      const first = await port.start(input);
      const again = await port.start({ ...input, payload: { ...input.payload, body: Buffer.from('{"n":2}') } });
      expect(again.id).toBe(first.id);
      const other = await port.start({ ...input, idempotencyKey: 'k-2' });
      expect(other.id).not.toBe(first.id);
      expect((await port.children(info)).map((c) => c.id)).toEqual([first.id, other.id]);
      expect((await sys.store.getRun(companyId, first.id))?.parentRunId).toBe(parentRun.id);
    });

    it(`refuses a chain deeper than ${RUN_FLOW_MAX_DEPTH} runs`, async () => {
      const flows = [];
      for (let i = 0; i <= RUN_FLOW_MAX_DEPTH; i++) flows.push(await deployed(`Depth ${i} ${Math.random()}`, doubler));
      const port = createChildRuns({ store: sys.store, queue: { enqueue: async () => {} } as never });
      let parentId: string | undefined;
      let error: unknown;
      for (const [i, flow] of flows.entries()) {
        try {
          const { run } = await sys.store.createRun(companyId, {
            flowId: flow.id,
            versionId: flow.draft_version_id,
            trigger: 'shape',
            priority: 3,
            expedite: false,
            input: { format: 'json', meta: {}, body: Buffer.from('{}') },
            ...(parentId && { parentRunId: parentId }),
          });
          parentId = run.id;
          const next = flows[i + 1];
          if (!next) break;
          await port.start({
            parent: { id: run.id, companyId, flowId: flow.id, versionId: flow.draft_version_id, trigger: 'shape', queuedAt: run.queuedAt },
            flow: next.id,
            payload: { format: 'json', meta: {}, body: Buffer.from('{}') },
            idempotencyKey: `depth-${i}-${Math.random()}`,
          });
        } catch (err) {
          error = err;
          break;
        }
      }
      expect(error).toMatchObject({ code: 'RUN_FLOW_CYCLE', message: expect.stringContaining('levels of run_flow deep') });
    });
  });
});

describe('run_flow waiting with a single worker slot', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    // One run at a time: a parent that held its slot while waiting would starve its own child.
    sys = await createTestSystem({ workerConcurrency: 1, companyConcurrency: 1, leaseMs: 2000 });
  });
  afterAll(() => sys.close());

  it('gives the slot back while it waits, so the child runs and the parent finishes with its output', async () => {
    const user = await sys.register();
    const h = sys.auth(user.token);
    for (const [name, definition] of [
      ['Doubler', doubler],
      ['Parent', parent({ flow: 'Doubler', wait: true, wait_timeout_seconds: 60 })],
    ] as const) {
      const flow = (await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name, definition } })).json().data;
      await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
        headers: h,
        payload: { enable: true },
      });
      if (name === 'Parent') {
        const start = await sys.app.inject({
          method: 'POST',
          url: `/api/v1/flows/${flow.id}/start`,
          headers: h,
          payload: { payload: '[{"n":21}]' },
        });
        const run = await waitForRun(sys.app, h, start.json().flow_run_id, 45_000);
        expect(run.status, String(run.error)).toBe('success');
        // The parent was claimed more than once: it gave its slot back at least once.
        expect(run.attempts as number).toBeGreaterThan(1);
        const kids = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/children`, headers: h })).json().data;
        expect(kids).toHaveLength(1);
        const logs = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: h })).json().data;
        const out = logs.find(
          (l: { step_id: string; payload_ids_out: string[] }) => l.step_id === 'children' && l.payload_ids_out.length > 0,
        );
        const body = (
          await sys.app.inject({ method: 'GET', url: `/api/v1/payloads/${out.payload_ids_out[0]}/download`, headers: h })
        ).json();
        expect(body).toEqual({ doubled: 42 });
      }
    }
  });
});
