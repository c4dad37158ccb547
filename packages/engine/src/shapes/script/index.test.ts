import type { ScriptConfig } from '@weft/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { executeRun } from '../../run/execute-run.js';
import { MemoryJournal } from '../../run/memory-journal.js';
import { createSandbox } from '../../sandbox/index.js';
import type { ScriptStore } from '../../services.js';
import type { StepLog } from '../../shape.js';
import { shapeRegistry } from '../index.js';
import { shapeContext } from '../map/test-support/context.js';
import { scriptShape } from './index.js';

const sandbox = createSandbox({ memoryLimitMb: 32 });
afterAll(() => sandbox.dispose());

/** Scripts of company co_1 by name; each name's versions in order, the last one the latest. */
function store(scripts: Record<string, string[]>): ScriptStore & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    async load(companyId, name, version) {
      calls.push([companyId, name, version]);
      const versions = companyId === 'co_1' ? scripts[name] : undefined;
      if (versions === undefined) return undefined;
      const index = version === undefined ? versions.length - 1 : version - 1;
      const code = versions[index];
      return code === undefined ? undefined : { code, version: index + 1 };
    },
  };
}

async function run(config: ScriptConfig, input: Payload[], scripts: ScriptStore | undefined, variables: Record<string, string> = {}) {
  const logs: StepLog[] = [];
  const base = shapeContext(config, { variables, log: (entry) => logs.push(entry) });
  const services = { ...base.services, sandbox, ...(scripts === undefined ? {} : { scripts }) };
  const result = await scriptShape.execute({ ...base, services }, input);
  return { result, logs: logs.map((l) => l.message) };
}

const ENRICH = `
function main({ payload, meta, variables, flow }) {
  console.log('order', payload.ref);
  return {
    payload: { ...payload, total: payload.lines.reduce((n, l) => n + l.qty, 0), run: flow.run_id, flow: flow.id },
    meta: { order_ref: payload.ref },
    variables: { last_ref: payload.ref, count: String(Number(variables.count ?? 0) + 1) },
  };
}`;

describe('script shape', () => {
  it('runs the script once per payload, merging meta, setting variables and logging its lines', async () => {
    const scripts = store({ enrich: [ENRICH] });
    const input = [
      Payload.fromValue({ ref: 'A1', lines: [{ qty: 2 }, { qty: 3 }] }, 'json', { source: 'shop' }),
      Payload.fromBytes(Buffer.from('{"ref":"B2","lines":[]}'), 'json'),
    ];
    const { result, logs } = await run({ script: 'enrich' }, input, scripts, { count: '5' });
    expect(result.payloads.map((p) => [p.format, p.value(), p.meta])).toEqual([
      ['json', { ref: 'A1', lines: [{ qty: 2 }, { qty: 3 }], total: 5, run: 'run_1', flow: 'flow_1' }, { source: 'shop', order_ref: 'A1' }],
      ['json', { ref: 'B2', lines: [], total: 0, run: 'run_1', flow: 'flow_1' }, { order_ref: 'B2' }],
    ]);
    // The second call saw the variables the first one set.
    expect(result.variables).toEqual({ last_ref: 'B2', count: '7' });
    expect(logs).toEqual(['script "enrich" version 1', 'payload 1 of 2: order A1', 'payload 2 of 2: order B2']);
    expect(scripts.calls).toEqual([['co_1', 'enrich', undefined]]);
  });

  it('runs the version named, else the latest', async () => {
    const scripts = store({ tag: ['function main() { return { payload: "v1" } }', 'function main() { return { payload: "v2" } }'] });
    const text = [Payload.fromValue('x', 'text')];
    expect((await run({ script: 'tag' }, text, scripts)).result.payloads[0]!.text()).toBe('v2');
    const pinned = await run({ script: 'tag', version: 1 }, text, scripts);
    expect(pinned.result.payloads[0]!.text()).toBe('v1');
    expect(pinned.logs[0]).toBe('script "tag" version 1');
  });

  it('gives text as a string, and writes an object returned for text as JSON', async () => {
    const scripts = store({
      echo: ['function main({ payload }) { return { payload: payload.toUpperCase() } }'],
      wrap: ['function main({ payload }) { return { payload: { text: payload } } }'],
    });
    const [same] = (await run({ script: 'echo' }, [Payload.fromBytes(Buffer.from('hello'), 'text')], scripts)).result.payloads;
    expect([same!.format, same!.text()]).toEqual(['text', 'HELLO']);
    const [json] = (await run({ script: 'wrap' }, [Payload.fromBytes(Buffer.from('hello'), 'text')], scripts)).result.payloads;
    expect([json!.format, json!.text()]).toEqual(['json', '{"text":"hello"}']);
  });

  it('gives CSV as rows and writes the rows it returns back as CSV, or a returned string as the document', async () => {
    const scripts = store({
      double: ['function main({ payload }) { return { payload: payload.map((r) => ({ id: r.id, qty: String(Number(r.qty) * 2) })) } }'],
      raw: ['function main() { return { payload: "id\\n9\\n" } }'],
    });
    const csv = Payload.fromBytes(Buffer.from('id,qty\n1,2\n2,5\n'), 'csv');
    const [doubled] = (await run({ script: 'double' }, [csv], scripts)).result.payloads;
    expect([doubled!.format, doubled!.text()]).toEqual(['csv', 'id,qty\n1,4\n2,10\n']);
    const [raw] = (await run({ script: 'raw' }, [csv], scripts)).result.payloads;
    expect([raw!.format, raw!.value()]).toEqual(['csv', [{ id: '9' }]]);
  });

  it('reads and writes XML through its tree', async () => {
    const scripts = store({ rename: ['function main({ payload }) { return { payload: { customer: { name: payload.order.name } } } }'] });
    const [out] = (await run({ script: 'rename' }, [Payload.fromBytes(Buffer.from('<order><name>Ann</name></order>'), 'xml')], scripts))
      .result.payloads;
    expect(out!.format).toBe('xml');
    expect(out!.text()).toContain('<customer><name>Ann</name></customer>');
  });

  it('emits nothing for an empty bucket, without running the script', async () => {
    const { result } = await run({ script: 'enrich' }, [], store({ enrich: ['function main() { throw new Error("ran") }'] }));
    expect(result).toEqual({ payloads: [] });
  });

  it('fails clearly when the engine has no script store, or the script or version does not exist', async () => {
    const input = [Payload.fromValue({}, 'json')];
    await expect(run({ script: 'enrich' }, input, undefined)).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      retryable: false,
      message: 'script "enrich" cannot run: this engine was started without a script store',
    });
    await expect(run({ script: 'missing' }, input, store({}))).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: `script "missing" has no deployed version; deploy it, or correct the step's script name and version`,
    });
    await expect(run({ script: 'enrich', version: 4 }, input, store({ enrich: [ENRICH] }))).rejects.toMatchObject({
      message: expect.stringMatching(/^script "enrich" has no version 4;/),
    });
  });

  it('names the payload and keeps the lines logged when the script throws', async () => {
    const scripts = store({
      picky: [
        "function main({ payload }) {\n  console.log('checking', payload.id);\n  if (payload.id === 2) throw new Error('bad id');\n  return { payload };\n}",
      ],
    });
    const logs: StepLog[] = [];
    const base = shapeContext<ScriptConfig>({ script: 'picky' }, { log: (entry) => logs.push(entry) });
    const ctx = { ...base, services: { ...base.services, sandbox, scripts } };
    await expect(
      scriptShape.execute(ctx, [Payload.fromValue({ id: 1 }, 'json'), Payload.fromValue({ id: 2 }, 'json')]),
    ).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'payload 2 of 2: script failed: Error: bad id (line 3)',
    });
    expect(logs.map((l) => l.message)).toEqual(['script "picky" version 1', 'payload 1 of 2: checking 1', 'payload 2 of 2: checking 2']);
  });

  it('stops a looping script at the step limit with SCRIPT_TIMEOUT', async () => {
    const scripts = store({ spin: ['function main() { for (;;) {} }'] });
    await expect(run({ script: 'spin', timeout_seconds: 1 }, [Payload.fromValue({}, 'json')], scripts)).rejects.toMatchObject({
      code: 'SCRIPT_TIMEOUT',
      message: 'script ran longer than its limit of 1 s (timeout_seconds) and was stopped',
    });
    expect(scriptShape.timeoutMs?.({ script: 'spin', timeout_seconds: 1 })).toBe(6_000);
    expect(scriptShape.timeoutMs?.({ script: 'spin' })).toBe(125_000);
  });

  it('refuses meta over 10 KiB and variable names a flow cannot hold', async () => {
    const scripts = store({
      bigMeta: ["function main() { return { payload: 1, meta: { big: 'x'.repeat(11000) } } }"],
      badName: ["function main() { return { payload: 1, variables: { 'has space': 'v' } } }"],
    });
    const input = [Payload.fromValue({}, 'json')];
    await expect(run({ script: 'bigMeta' }, input, scripts)).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: expect.stringContaining('more than the limit of 10240'),
    });
    await expect(run({ script: 'badName' }, input, scripts)).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: expect.stringContaining('variable names must be 1-64 characters'),
    });
  });

  it('fails clearly when the payload does not parse, or the result cannot be written as CSV', async () => {
    const scripts = store({
      same: ['function main({ payload }) { return { payload } }'],
      scalar: ['function main() { return { payload: 42 } }'],
    });
    await expect(run({ script: 'same' }, [Payload.fromBytes(Buffer.from('{'), 'json')], scripts)).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
    });
    await expect(run({ script: 'scalar' }, [Payload.fromBytes(Buffer.from('a\n1\n'), 'csv')], scripts)).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: expect.stringMatching(/^script returned a payload that cannot be written as csv: /),
    });
  });

  it('runs in a flow: later steps see the payload, meta and variables the script set, and its lines are in the run log', async () => {
    const journal = new MemoryJournal();
    const base = shapeContext({});
    const outcome = await executeRun({
      run: base.run,
      definition: {
        variables: { batch: 'none' },
        steps: [
          { id: 'trigger', shape: 'trigger', config: {} },
          { id: 'enrich', shape: 'script', config: { script: 'batch', timeout_seconds: 5 } },
          { id: 'tag', shape: 'set_variables', config: { meta: { seen: '[[flow.batch]]/[[meta.kind]]/[[payload.n]]' } } },
        ],
        edges: [
          { from: 'trigger', to: 'enrich' },
          { from: 'enrich', to: 'tag' },
        ],
      },
      input: Payload.fromValue({ n: 1 }, 'json'),
      variables: { batch: 'none' },
      journal,
      services: {
        ...base.services,
        sandbox,
        scripts: store({
          batch: [
            "function main({ payload }) { console.log('hi'); return { payload: { n: payload.n + 1 }, meta: { kind: 'k' }, variables: { batch: 'B7' } } }",
          ],
        }),
      },
      shapes: shapeRegistry(),
      retryBaseMs: 1,
    });
    expect(outcome).toEqual({ status: 'success', stepsExecuted: 3 });
    const last = journal.entries.find((e) => e.stepId === 'tag')!;
    const [payload] = await journal.loadPayloads(last.outputs['']!);
    expect(payload!.meta).toEqual({ kind: 'k', seen: 'B7/k/2' });
    expect(journal.logs.filter((l) => l.stepId === 'enrich').map((l) => l.message)).toContain('hi');
  });
});
