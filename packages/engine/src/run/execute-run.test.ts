import { AppError, type FlowDefinition } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../payload.js';
import type { EngineServices } from '../services.js';
import type { Shape } from '../shape.js';
import { branchShape } from '../shapes/branch/index.js';
import { tryCatchShape } from '../shapes/try-catch/index.js';
import { executeRun } from './execute-run.js';
import { MemoryJournal } from './memory-journal.js';

const services: EngineServices = {
  http: {
    request: () => Promise.reject(new Error('no http in these tests')),
    close: async () => {},
  },
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
};

/** Test shapes: each records its calls so tests can see what ran. */
function testShapes(calls: string[], behaviour: Record<string, (input: Payload[], attempt: number) => Payload[]> = {}) {
  const shapes = new Map<string, Shape<any>>();
  const make = (name: string): Shape<any> => ({
    name,
    retries: (config) => (config.retries as number | undefined) ?? 3,
    timeoutMs: (config) => (config.timeout_ms as number | undefined) ?? 1000,
    async execute(ctx, input) {
      calls.push(`${ctx.step.id}#${ctx.attempt}`);
      const fn = behaviour[ctx.step.id];
      const payloads = fn ? fn(input, ctx.attempt) : input.map((p) => Payload.fromBytes(Buffer.from(`${p.text()}>${ctx.step.id}`), 'text'));
      if (ctx.step.config.wait_ms) await new Promise((r) => setTimeout(r, ctx.step.config.wait_ms as number));
      if (ctx.step.config.set) return { payloads, variables: ctx.step.config.set as Record<string, string> };
      if (ctx.step.config.route) return { payloads: [], routes: { [ctx.step.config.route as string]: payloads } };
      return { payloads };
    },
  });
  for (const n of ['trigger', 'pass', 'route']) shapes.set(n, make(n));
  return shapes;
}

function linear(...ids: string[]): FlowDefinition {
  return {
    steps: [{ id: 'trigger', shape: 'trigger', config: {} }, ...ids.map((id) => ({ id, shape: 'pass', config: {} }))],
    edges: ['trigger', ...ids].slice(0, -1).map((from, i) => ({ from, to: ids[i]! })),
  };
}

function run(definition: FlowDefinition, journal: MemoryJournal, shapes: Map<string, Shape<any>>, signal?: AbortSignal) {
  return executeRun({
    run: { id: 'r1', companyId: 'c1', flowId: 'f1', versionId: 'v1', trigger: 'api', queuedAt: new Date().toISOString() },
    definition,
    input: Payload.fromBytes(Buffer.from('in'), 'text'),
    variables: {},
    journal,
    services,
    shapes,
    retryBaseMs: 1,
    signal,
  });
}

describe('executeRun', () => {
  it('runs every step in order and journals each before the next starts', async () => {
    const calls: string[] = [];
    const journal = new MemoryJournal();
    const outcome = await run(linear('a', 'b'), journal, testShapes(calls));
    expect(outcome).toEqual({ status: 'success', stepsExecuted: 3 });
    expect(calls).toEqual(['trigger#1', 'a#1', 'b#1']);
    expect(journal.entries.map((e) => e.itemKey)).toEqual(['trigger', 'trigger>a', 'trigger>a>b']);
    const last = journal.entries[2]!.outputs['']![0]!;
    expect(journal.payloads.get(last)!.text()).toBe('in>trigger>a>b');
  });

  it('resumes from the last journalled step without executing completed steps again', async () => {
    const journal = new MemoryJournal();
    const first: string[] = [];
    const controller = new AbortController();
    // Interrupt the run while step b is executing, as a killed worker would leave it.
    const shapes = testShapes(first, {
      b: (input) => {
        setTimeout(() => controller.abort(), 5);
        return input;
      },
    });
    const def = linear('a', 'b', 'c');
    def.steps[2]!.config = { wait_ms: 200 };
    const interrupted = await run(def, journal, shapes, controller.signal);
    expect(interrupted.status).toBe('interrupted');
    expect(journal.entries.map((e) => e.stepId)).toEqual(['trigger', 'a']);

    const second: string[] = [];
    def.steps[2]!.config = {};
    const outcome = await run(def, journal, testShapes(second));
    expect(outcome.status).toBe('success');
    expect(second).toEqual(['b#1', 'c#1']);
    const last = journal.entries.at(-1)!.outputs['']![0]!;
    expect(journal.payloads.get(last)!.text()).toBe('in>trigger>a>b>c');
  });

  it('treats a journal write that fails as the store being down, not as a failed attempt of the step', async () => {
    // A store outage right after a delivery must neither spend the step's retries nor record the
    // delivered step as failed: the pass over the run ends and a later pass resumes from the journal.
    const journal = new MemoryJournal();
    const record = journal.recordStep.bind(journal);
    let outage = true;
    journal.recordStep = async (write) => {
      if (write.stepId === 'a' && outage) {
        outage = false;
        throw new Error('connection terminated');
      }
      return record(write);
    };
    const calls: string[] = [];
    const def = linear('a', 'b');
    def.steps[1]!.config = { retries: 0 };
    await expect(run(def, journal, testShapes(calls))).rejects.toThrow('connection terminated');
    expect(calls).toEqual(['trigger#1', 'a#1']);
    expect(journal.entries.map((e) => `${e.stepId}:${e.status}`)).toEqual(['trigger:success']);

    const outcome = await run(def, journal, testShapes(calls));
    expect(outcome.status).toBe('success');
    expect(calls).toEqual(['trigger#1', 'a#1', 'a#1', 'b#1']);
    expect(journal.entries.map((e) => `${e.stepId}:${e.status}`)).toEqual(['trigger:success', 'a:success', 'b:success']);
  });

  it('retries a failing step and succeeds on a later attempt', async () => {
    const calls: string[] = [];
    const shapes = testShapes(calls, {
      a: (input, attempt) => {
        if (attempt < 3) throw new AppError('CONNECTOR_NETWORK_ERROR', 'target down');
        return input;
      },
    });
    const journal = new MemoryJournal();
    const outcome = await run(linear('a'), journal, shapes);
    expect(outcome.status).toBe('success');
    expect(calls).toEqual(['trigger#1', 'a#1', 'a#2', 'a#3']);
    expect(journal.logs.filter((l) => l.level === 'warning').map((l) => l.attempt)).toEqual([1, 2]);
  });

  it('fails the run with the step, attempt and reason once retries are spent', async () => {
    const calls: string[] = [];
    const shapes = testShapes(calls, {
      a: () => {
        throw new AppError('CONNECTOR_HTTP_ERROR', 'POST http://x answered 503');
      },
    });
    const def = linear('a', 'b');
    def.steps[1]!.config = { retries: 1 };
    const journal = new MemoryJournal();
    const outcome = await run(def, journal, shapes);
    expect(outcome).toMatchObject({ status: 'failure', error: 'Step "a" failed after 2 attempts: POST http://x answered 503' });
    expect(calls).toEqual(['trigger#1', 'a#1', 'a#2']);
    const last = journal.logs.at(-1)!;
    expect(last).toMatchObject({ level: 'error', stepId: 'a', attempt: 2 });
  });

  it('does not retry an error that says retrying cannot help', async () => {
    const calls: string[] = [];
    const shapes = testShapes(calls, {
      a: () => {
        throw new AppError('CONNECTOR_HTTP_ERROR', 'answered 400', { retryable: false });
      },
    });
    const outcome = await run(linear('a'), new MemoryJournal(), shapes);
    expect(outcome.status).toBe('failure');
    expect(calls).toEqual(['trigger#1', 'a#1']);
  });

  it('fails a step that exceeds its time limit', async () => {
    const def = linear('a');
    def.steps[1]!.config = { wait_ms: 200, timeout_ms: 20, retries: 0 };
    const outcome = await run(def, new MemoryJournal(), testShapes([]));
    expect(outcome.status).toBe('failure');
    expect((outcome as { error: string }).error).toMatch(/longer than its limit/);
  });

  it('stops at the next step boundary when a stop is requested', async () => {
    const journal = new MemoryJournal();
    const calls: string[] = [];
    const shapes = testShapes(calls, {
      a: (input) => {
        journal.stopRequested = true;
        return input;
      },
    });
    const outcome = await run(linear('a', 'b'), journal, shapes);
    expect(outcome.status).toBe('stopped');
    expect(calls).toEqual(['trigger#1', 'a#1']);
  });

  it('sends labelled outputs only down the edge with that label', async () => {
    const calls: string[] = [];
    const def: FlowDefinition = {
      steps: [
        { id: 'trigger', shape: 'trigger', config: {} },
        { id: 'r', shape: 'route', config: { route: 'yes' } },
        { id: 'y', shape: 'pass', config: {} },
        { id: 'n', shape: 'pass', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'r' },
        { from: 'r', to: 'y', label: 'yes' },
        { from: 'r', to: 'n', label: 'no' },
      ],
    };
    const outcome = await run(def, new MemoryJournal(), testShapes(calls));
    expect(outcome.status).toBe('success');
    expect(calls).toEqual(['trigger#1', 'r#1', 'y#1']);
  });

  it('hands variables set by a step to the steps after it', async () => {
    const seen: Record<string, string>[] = [];
    const shapes = testShapes([]);
    const base = shapes.get('pass')!;
    shapes.set('pass', {
      ...base,
      async execute(ctx, input) {
        seen.push({ ...ctx.variables });
        return base.execute(ctx, input);
      },
    });
    const def = linear('a', 'b');
    def.steps[1]!.config = { set: { colour: 'blue' } };
    await run(def, new MemoryJournal(), shapes);
    expect(seen).toEqual([{}, { colour: 'blue' }]);
  });

  it('fails the run clearly when a step uses an unknown shape', async () => {
    const def = linear('a');
    def.steps[1]!.shape = 'teleport';
    const outcome = await run(def, new MemoryJournal(), testShapes([]));
    expect(outcome).toMatchObject({ status: 'failure', error: 'Step "a" uses unknown shape "teleport".' });
  });
});

describe('executeRun: labelled edges', () => {
  it('runs branches in the order of the branch config, not of the edges array', async () => {
    const calls: string[] = [];
    const shapes = testShapes(calls);
    shapes.set('branch', branchShape);
    const def: FlowDefinition = {
      steps: [
        { id: 'trigger', shape: 'trigger', config: {} },
        { id: 'b', shape: 'branch', config: { branches: [{ label: 'first' }, { label: 'second' }, { label: 'third' }] } },
        { id: 'x3', shape: 'pass', config: {} },
        { id: 'x1', shape: 'pass', config: {} },
        { id: 'x1a', shape: 'pass', config: {} },
        { id: 'x2', shape: 'pass', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'b' },
        { from: 'b', to: 'x3', label: 'third' },
        { from: 'b', to: 'x2', label: 'second' },
        { from: 'b', to: 'x1', label: 'first' },
        { from: 'x1', to: 'x1a' },
      ],
    };
    const outcome = await run(def, new MemoryJournal(), shapes);
    expect(outcome.status).toBe('success');
    // Each branch runs to its end before the next starts.
    expect(calls).toEqual(['trigger#1', 'x1#1', 'x1a#1', 'x2#1', 'x3#1']);
  });

  it('stops the branches after a failed one', async () => {
    const calls: string[] = [];
    const shapes = testShapes(calls, {
      x1: () => {
        throw new AppError('CONNECTOR_HTTP_ERROR', 'answered 400', { retryable: false });
      },
    });
    shapes.set('branch', branchShape);
    const def: FlowDefinition = {
      steps: [
        { id: 'trigger', shape: 'trigger', config: {} },
        { id: 'b', shape: 'branch', config: { branches: [{ label: 'one' }, { label: 'two' }] } },
        { id: 'x1', shape: 'pass', config: {} },
        { id: 'x2', shape: 'pass', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'b' },
        { from: 'b', to: 'x2', label: 'two' },
        { from: 'b', to: 'x1', label: 'one' },
      ],
    };
    const outcome = await run(def, new MemoryJournal(), shapes);
    expect(outcome.status).toBe('failure');
    expect(calls).toEqual(['trigger#1', 'x1#1']);
  });
});

describe('executeRun: try_catch', () => {
  /** trigger → tc; try: a → bad → after; catch: c1 → c2; `bad` fails without retrying. */
  function tryCatchFlow(onError: 'partial_success' | 'fail' = 'partial_success'): FlowDefinition {
    return {
      steps: [
        { id: 'trigger', shape: 'trigger', config: {} },
        { id: 'tc', shape: 'try_catch', config: { on_error: onError } },
        { id: 'a', shape: 'pass', config: {} },
        { id: 'bad', shape: 'pass', config: {} },
        { id: 'after', shape: 'pass', config: {} },
        { id: 'c1', shape: 'pass', config: {} },
        { id: 'c2', shape: 'pass', config: {} },
      ],
      edges: [
        { from: 'trigger', to: 'tc' },
        // catch listed first: the engine still runs the try path first.
        { from: 'tc', to: 'c1', label: 'catch' },
        { from: 'tc', to: 'a', label: 'try' },
        { from: 'a', to: 'bad' },
        { from: 'bad', to: 'after' },
        { from: 'c1', to: 'c2' },
      ],
    };
  }

  function failingShapes(calls: string[], extra: Record<string, (input: Payload[], attempt: number) => Payload[]> = {}) {
    const shapes = testShapes(calls, {
      bad: () => {
        throw new AppError('CONNECTOR_HTTP_ERROR', 'POST http://x answered 400', { retryable: false });
      },
      ...extra,
    });
    shapes.set('try_catch', tryCatchShape);
    return shapes;
  }

  it('sends the failed step input down the catch path with the error in meta and ends partial_success', async () => {
    const calls: string[] = [];
    const seen: Payload[] = [];
    const journal = new MemoryJournal();
    const shapes = failingShapes(calls, {
      c1: (input) => {
        seen.push(...input);
        return input;
      },
    });
    const outcome = await run(tryCatchFlow(), journal, shapes);
    expect(outcome).toEqual({
      status: 'partial_success',
      error: 'Step "bad" failed after 1 attempt: POST http://x answered 400 The try_catch step sent its payloads down the catch path.',
      stepsExecuted: 6,
    });
    expect(calls).toEqual(['trigger#1', 'a#1', 'bad#1', 'c1#1', 'c2#1']);
    expect(seen.map((p) => [p.text(), p.meta])).toEqual([['in>trigger>a', { error: 'POST http://x answered 400', error_step: 'bad' }]]);

    const failed = journal.entries.find((e) => e.stepId === 'bad')!;
    expect(failed).toMatchObject({ itemKey: 'trigger>tc>a>bad', status: 'failure' });
    expect(failed.outputs.catch).toHaveLength(1);
    expect(journal.entries.map((e) => e.itemKey)).toContain('trigger>tc>a>bad!catch>c1');
    expect(journal.entries.map((e) => e.itemKey)).toContain('trigger>tc>a>bad!catch>c1>c2');
    // The error entry lists the failed payload it took in and the catch payload it handed on.
    const errorLog = journal.logs.find((l) => l.stepId === 'bad' && l.level === 'error')!;
    expect(errorLog.payloadIdsIn).toEqual(journal.entries.find((e) => e.stepId === 'a')!.outputs['']);
    expect(journal.logs.some((l) => l.message.includes('go down the catch path of "tc"'))).toBe(true);
  });

  it('ends failure after the catch path ran when on_error is fail, leaving the rest undone', async () => {
    const calls: string[] = [];
    const def = tryCatchFlow('fail');
    def.steps.push({ id: 'later', shape: 'pass', config: {} });
    def.edges.push({ from: 'a', to: 'later' });
    const outcome = await run(def, new MemoryJournal(), failingShapes(calls));
    expect(outcome).toMatchObject({ status: 'failure', error: expect.stringContaining('answered 400') });
    expect(calls).toEqual(['trigger#1', 'a#1', 'bad#1', 'c1#1', 'c2#1']);
  });

  it('carries on with the rest of the try path after a caught failure', async () => {
    const calls: string[] = [];
    const def = tryCatchFlow();
    def.steps.push({ id: 'later', shape: 'pass', config: {} });
    def.edges.push({ from: 'a', to: 'later' });
    const outcome = await run(def, new MemoryJournal(), failingShapes(calls));
    expect(outcome.status).toBe('partial_success');
    expect(calls).toEqual(['trigger#1', 'a#1', 'bad#1', 'c1#1', 'c2#1', 'later#1']);
  });

  it('ends success when nothing fails, without running the catch path', async () => {
    const calls: string[] = [];
    const shapes = testShapes(calls);
    shapes.set('try_catch', tryCatchShape);
    const outcome = await run(tryCatchFlow(), new MemoryJournal(), shapes);
    expect(outcome.status).toBe('success');
    expect(calls).toEqual(['trigger#1', 'a#1', 'bad#1', 'after#1']);
  });

  it('fails the run when a step of the catch path fails', async () => {
    const calls: string[] = [];
    const shapes = failingShapes(calls, {
      c1: () => {
        throw new AppError('CONNECTOR_HTTP_ERROR', 'alert target answered 400', { retryable: false });
      },
    });
    const outcome = await run(tryCatchFlow(), new MemoryJournal(), shapes);
    expect(outcome).toMatchObject({ status: 'failure', error: expect.stringContaining('alert target answered 400') });
  });

  it('fails the run as before when a step outside the try path fails', async () => {
    const calls: string[] = [];
    const shapes = failingShapes(calls);
    const def = tryCatchFlow();
    def.steps.push({ id: 'outside', shape: 'pass', config: {} });
    def.edges.unshift({ from: 'trigger', to: 'outside' });
    const failing = testShapes(calls, {
      outside: () => {
        throw new AppError('CONNECTOR_HTTP_ERROR', 'answered 400', { retryable: false });
      },
    });
    shapes.set('pass', failing.get('pass')!);
    const outcome = await run(def, new MemoryJournal(), shapes);
    expect(outcome.status).toBe('failure');
    expect(calls).toEqual(['trigger#1', 'outside#1']);
  });

  it('resumes an interrupted catch path from the journal: the failed step is not run again and the same payloads go on', async () => {
    const journal = new MemoryJournal();
    const controller = new AbortController();
    const first: string[] = [];
    const def = tryCatchFlow();
    // c2 waits long enough for the abort to land while it runs.
    def.steps.find((s) => s.id === 'c2')!.config = { wait_ms: 200 };
    const interrupted = await run(
      def,
      journal,
      failingShapes(first, {
        c2: (input) => {
          setTimeout(() => controller.abort(), 5);
          return input;
        },
      }),
      controller.signal,
    );
    expect(interrupted.status).toBe('interrupted');
    expect(journal.entries.map((e) => e.stepId)).toEqual(['trigger', 'tc', 'a', 'bad', 'c1']);
    const caughtIds = journal.entries.find((e) => e.stepId === 'bad')!.outputs.catch!;

    const second: string[] = [];
    const seen: Payload[] = [];
    def.steps.find((s) => s.id === 'c2')!.config = {};
    const outcome = await run(
      def,
      journal,
      failingShapes(second, {
        c2: (input) => {
          seen.push(...input);
          return input;
        },
      }),
    );
    expect(outcome.status).toBe('partial_success');
    expect(second).toEqual(['c2#1']);
    expect(seen.map((p) => p.text())).toEqual(['in>trigger>a>c1']);
    // c1's stored output came from the journalled catch bucket, which kept its meta.
    const c1 = journal.entries.find((e) => e.stepId === 'c1')!;
    expect(c1.itemKey).toBe('trigger>tc>a>bad!catch>c1');
    expect(journal.payloads.get(caughtIds[0]!)!.meta).toEqual({ error: 'POST http://x answered 400', error_step: 'bad' });
  });

  it('resumes after the failure was journalled but before the catch path started', async () => {
    const journal = new MemoryJournal();
    const calls: string[] = [];
    await run(tryCatchFlow(), journal, failingShapes(calls));
    // Keep the journal up to the failed step, as if the worker died right after recording it.
    const cut = journal.entries.findIndex((e) => e.stepId === 'bad');
    journal.entries.splice(cut + 1);
    const second: string[] = [];
    const outcome = await run(tryCatchFlow(), journal, failingShapes(second));
    expect(outcome.status).toBe('partial_success');
    expect(second).toEqual(['c1#1', 'c2#1']);
  });
});
