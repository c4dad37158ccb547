import { AppError, type RunFlowConfig, type RunStatus } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import '../../formats/index.js';
import { Payload } from '../../payload.js';
import type { RunInfo, StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
import { CHILD_RUN_META, childIdempotencyKey, RESUME_AFTER_MS, runFlowShape } from './index.js';
import type { ChildRun, ChildRuns, StartChildInput } from './port.js';

/**
 * An in-memory ChildRuns: children "run" by the test moving their status on. The server's real
 * port (store and queue) is tested in packages/server; here the step's own logic is.
 */
class FakeChildRuns implements ChildRuns {
  readonly started: StartChildInput[] = [];
  readonly runs = new Map<string, ChildRun & { key: string; outputs: Payload[] }>();
  /** Called on every look at the children, to move them along. */
  onPoll: (runs: FakeChildRuns, polls: number) => void = () => {};
  polls = 0;
  failStart?: AppError;
  /** When new children count as created. */
  queuedAt = new Date().toISOString();

  async start(input: StartChildInput): Promise<ChildRun> {
    if (this.failStart) throw this.failStart;
    this.started.push(input);
    const existing = [...this.runs.values()].find((r) => r.key === input.idempotencyKey);
    if (existing) return existing;
    const id = `child_${this.runs.size + 1}`;
    const run = {
      id,
      flowId: 'flow_child',
      status: 'queued' as RunStatus,
      error: null,
      queuedAt: this.queuedAt,
      key: input.idempotencyKey,
      outputs: [] as Payload[],
    };
    this.runs.set(id, run);
    return { id, flowId: run.flowId, status: run.status, error: null, queuedAt: run.queuedAt };
  }

  async children(_parent: RunInfo): Promise<ChildRun[]> {
    this.onPoll(this, ++this.polls);
    return [...this.runs.values()].map(({ id, flowId, status, error, queuedAt }) => ({ id, flowId, status, error, queuedAt }));
  }

  async outputs(_companyId: string, runId: string): Promise<Payload[]> {
    return this.runs.get(runId)?.outputs ?? [];
  }

  finish(id: string, status: RunStatus, outputs: Payload[] = [], error: string | null = null): void {
    const run = this.runs.get(id)!;
    run.status = status;
    run.outputs = outputs;
    run.error = error;
  }
}

async function runFlow(config: RunFlowConfig, input: Payload[], port: FakeChildRuns | undefined, itemKey = 'trigger/run') {
  const logs: StepLog[] = [];
  const base = shapeContext(config, { log: (l) => logs.push(l), itemKey });
  const services = port === undefined ? base.services : { ...base.services, childRuns: port };
  const result = await runFlowShape.execute({ ...base, services }, input);
  return { logs, payloads: result.payloads };
}

const json = (value: unknown) => Payload.fromValue(value, 'json', { source: 'parent' });

describe('run_flow shape', () => {
  it('starts one child per payload with the payload, linked to the parent, and passes payloads on with the child id', async () => {
    const port = new FakeChildRuns();
    const input = [json({ id: 1 }), json({ id: 2 })];
    const { payloads, logs } = await runFlow({ flow: 'Invoices', version: 3 }, input, port);
    expect(port.started.map((s) => [s.flow, s.version, s.parent.id, s.payload.body.toString(), s.payload.meta])).toEqual([
      ['Invoices', 3, 'run_1', '{"id":1}', { source: 'parent' }],
      ['Invoices', 3, 'run_1', '{"id":2}', { source: 'parent' }],
    ]);
    expect(payloads.map((p) => [p.value(), p.meta])).toEqual([
      [{ id: 1 }, { source: 'parent', [CHILD_RUN_META]: 'child_1' }],
      [{ id: 2 }, { source: 'parent', [CHILD_RUN_META]: 'child_2' }],
    ]);
    expect(logs[0]?.message).toBe('run_flow: 2 child runs of "Invoices": child_1, child_2');
  });

  it('derives each child key from parent run, step execution and position, so a second execution finds the same children', async () => {
    const port = new FakeChildRuns();
    const input = [json({ id: 1 }), json({ id: 2 })];
    await runFlow({ flow: 'f' }, input, port);
    await runFlow({ flow: 'f' }, input, port);
    expect(port.runs.size).toBe(2);
    expect(port.started.map((s) => s.idempotencyKey)).toEqual([
      childIdempotencyKey('run_1', 'trigger/run', 0),
      childIdempotencyKey('run_1', 'trigger/run', 1),
      childIdempotencyKey('run_1', 'trigger/run', 0),
      childIdempotencyKey('run_1', 'trigger/run', 1),
    ]);
    // Another step execution (another item key) or another position is another child.
    expect(childIdempotencyKey('run_1', 'trigger/other', 0)).not.toBe(childIdempotencyKey('run_1', 'trigger/run', 0));
    expect(childIdempotencyKey('run_2', 'trigger/run', 0)).not.toBe(childIdempotencyKey('run_1', 'trigger/run', 0));
    expect(childIdempotencyKey('run_1', 'trigger/run', 0).length).toBeLessThanOrEqual(255);
  });

  it('hands each child its payload as bytes in its own format, whatever the format (XML, CSV, text, empty)', async () => {
    const port = new FakeChildRuns();
    const input = [
      Payload.fromBytes(Buffer.from('<a>1</a>'), 'xml', { k: 'x' }),
      Payload.fromBytes(Buffer.from('id,name\n1,A\n'), 'csv'),
      Payload.fromBytes(Buffer.from('not json {'), 'text'),
      Payload.empty(),
    ];
    const { payloads } = await runFlow({ flow: 'f' }, input, port);
    expect(port.started.map((s) => [s.payload.format, s.payload.body.toString(), s.payload.meta])).toEqual([
      ['xml', '<a>1</a>', { k: 'x' }],
      ['csv', 'id,name\n1,A\n', {}],
      ['text', 'not json {', {}],
      ['text', '', {}],
    ]);
    expect(payloads.map((p) => [p.format, p.text()])).toEqual([
      ['xml', '<a>1</a>'],
      ['csv', 'id,name\n1,A\n'],
      ['text', 'not json {'],
      ['text', ''],
    ]);
  });

  it('starts nothing for an empty bucket', async () => {
    const port = new FakeChildRuns();
    const { payloads, logs } = await runFlow({ flow: 'f', wait: true }, [], port);
    expect(payloads).toEqual([]);
    expect(port.runs.size).toBe(0);
    expect(logs.map((l) => l.message)).toEqual(['run_flow: no payloads, so no child runs']);
  });

  it('with wait, completes when every child has finished and emits their final payloads in child order', async () => {
    const port = new FakeChildRuns();
    port.onPoll = (runs, polls) => {
      if (polls === 2) runs.finish('child_2', 'success', [Payload.fromValue({ out: 'b' }, 'json')]);
      if (polls === 3)
        runs.finish('child_1', 'partial_success', [Payload.fromValue({ out: 'a1' }, 'json'), Payload.fromValue('a2', 'text')]);
    };
    const { payloads } = await runFlow({ flow: 'f', wait: true }, [json(1), json(2)], port);
    expect(port.polls).toBe(3);
    expect(payloads.map((p) => [p.value(), p.meta[CHILD_RUN_META]])).toEqual([
      [{ out: 'a1' }, 'child_1'],
      ['a2', 'child_1'],
      [{ out: 'b' }, 'child_2'],
    ]);
  });

  it('with wait and output statuses, emits one JSON document per child', async () => {
    const port = new FakeChildRuns();
    port.onPoll = (runs) => {
      runs.finish('child_1', 'success');
      runs.finish('child_2', 'failure', [], 'Step "x" failed.');
    };
    const { payloads, logs } = await runFlow(
      { flow: 'f', wait: true, output: 'statuses', on_child_failure: 'partial' },
      [json(1), json(2)],
      port,
    );
    expect(payloads.map((p) => p.value())).toEqual([
      { run_id: 'child_1', flow_id: 'flow_child', status: 'success', error: null },
      { run_id: 'child_2', flow_id: 'flow_child', status: 'failure', error: 'Step "x" failed.' },
    ]);
    expect(logs.at(-1)).toMatchObject({ level: 'warning', message: expect.stringContaining('1 of 2 child runs did not succeed') });
  });

  it('fails the step with CHILD_RUN_FAILED naming the child when one fails or stops (on_child_failure fail, the default)', async () => {
    const port = new FakeChildRuns();
    port.onPoll = (runs) => {
      runs.finish('child_1', 'success');
      runs.finish('child_2', 'stopped');
    };
    await expect(runFlow({ flow: 'f', wait: true }, [json(1), json(2)], port)).rejects.toMatchObject({
      code: 'CHILD_RUN_FAILED',
      retryable: false,
      message: 'run_flow: 1 of 2 child runs did not succeed (child_2 stopped)',
    });
  });

  it('with on_child_failure partial, goes on with the payloads of the children that succeeded', async () => {
    const port = new FakeChildRuns();
    port.onPoll = (runs) => {
      runs.finish('child_1', 'failure', [Payload.fromValue('never', 'text')], 'boom');
      runs.finish('child_2', 'success', [Payload.fromValue('ok', 'text')]);
    };
    const { payloads } = await runFlow({ flow: 'f', wait: true, on_child_failure: 'partial' }, [json(1), json(2)], port);
    expect(payloads.map((p) => p.value())).toEqual(['ok']);
  });

  it('gives up waiting after wait_timeout_seconds with a message naming the open children; they go on', async () => {
    const port = new FakeChildRuns();
    const base = shapeContext<RunFlowConfig>({ flow: 'f', wait: true, wait_timeout_seconds: 1 });
    // The test clock: each sleep moves Date.now on by the pause asked for.
    let now = Date.now();
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const services = {
        ...base.services,
        childRuns: port,
        sleep: async (ms: number) => {
          now += ms;
        },
      };
      await expect(runFlowShape.execute({ ...base, services }, [json(1)])).rejects.toMatchObject({
        code: 'STEP_TIMEOUT',
        retryable: false,
        message: expect.stringContaining('1 of 1 child runs still not finished after 1 s (child_1 queued)'),
      });
    } finally {
      Date.now = realNow;
    }
    expect(port.polls).toBeGreaterThan(1);
  });

  it('gives its worker slot back after waiting a few seconds in place, asking to be resumed', async () => {
    const port = new FakeChildRuns();
    const base = shapeContext<RunFlowConfig>({ flow: 'f', wait: true });
    let now = Date.now();
    const realNow = Date.now;
    Date.now = () => now;
    const suspended: number[] = [];
    const abort = new AbortController();
    try {
      const services = {
        ...base.services,
        childRuns: port,
        // As the worker does: the attempt's signal is aborted at once.
        suspendRun: (ms: number) => {
          suspended.push(ms);
          abort.abort(new Error('suspended'));
        },
        sleep: async (ms: number, signal?: AbortSignal) => {
          if (signal?.aborted) throw signal.reason;
          now += ms;
        },
      };
      await expect(runFlowShape.execute({ ...base, services, signal: abort.signal }, [json(1)])).rejects.toThrow('suspended');
    } finally {
      Date.now = realNow;
    }
    expect(suspended).toEqual([RESUME_AFTER_MS]);
    expect(port.polls).toBeGreaterThan(1);
  });

  it("counts the wait from the first child's creation, so a resumed step keeps its deadline", async () => {
    const port = new FakeChildRuns();
    port.queuedAt = new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString();
    await expect(runFlow({ flow: 'f', wait: true, wait_timeout_seconds: 3600 }, [json(1)], port)).rejects.toMatchObject({
      code: 'STEP_TIMEOUT',
      message: expect.stringContaining('still not finished after 3600 s'),
    });
    expect(port.polls).toBe(1);
  });

  it('sets its time limit from the wait, so the engine does not cut a long wait short', () => {
    expect(runFlowShape.timeoutMs!({ flow: 'f', wait: true, wait_timeout_seconds: 7200 })).toBe(7260_000);
    expect(runFlowShape.timeoutMs!({ flow: 'f', wait: true })).toBe(3660_000);
    expect(runFlowShape.timeoutMs!({ flow: 'f' })).toBe(300_000);
  });

  it('passes on the refusal of the port (a cycle, an unknown flow) and fails clearly without the port', async () => {
    const port = new FakeChildRuns();
    port.failStart = new AppError('RUN_FLOW_CYCLE', 'run_flow: flow "f" is this run\'s own flow', { retryable: false });
    await expect(runFlow({ flow: 'f' }, [json(1)], port)).rejects.toMatchObject({ code: 'RUN_FLOW_CYCLE' });
    await expect(runFlow({ flow: 'f' }, [json(1)], undefined)).rejects.toMatchObject({
      code: 'STEP_FAILED',
      message: expect.stringContaining('cannot start child runs'),
    });
  });

  it('refuses more payloads than children one step may start', async () => {
    const port = new FakeChildRuns();
    const input = Array.from({ length: 1001 }, (_, i) => json(i));
    await expect(runFlow({ flow: 'f' }, input, port)).rejects.toMatchObject({ message: expect.stringContaining('at most 1000 per step') });
    expect(port.runs.size).toBe(0);
  });
});
