import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, type ScriptInput } from './index.js';

const sandbox = createSandbox({ timeoutMs: 2_000, memoryLimitMb: 32 });
afterAll(() => sandbox.dispose());

function input(payload: unknown, extra: Partial<ScriptInput> = {}): ScriptInput {
  return {
    payload,
    meta: { source: 'shop' },
    variables: { env: 'test' },
    flow: { id: 'flow_1', version_id: 'ver_1', run_id: 'run_1' },
    ...extra,
  };
}

describe('the script sandbox', () => {
  it('runs main on the input and answers its payload, meta, variables and console lines', async () => {
    const code = `
      function main({ payload, meta, variables, flow }) {
        console.log('orders:', payload.orders.length, { first: payload.orders[0] });
        console.warn('careful');
        return {
          payload: payload.orders.map((o) => ({ ref: o.ref.toUpperCase(), run: flow.run_id })),
          meta: { source: meta.source + '/script' },
          variables: { seen: String(payload.orders.length), env: variables.env },
        };
      }`;
    const output = await sandbox.run(code, input({ orders: [{ ref: 'a1' }, { ref: 'b2' }] }));
    expect(output).toEqual({
      payload: [
        { ref: 'A1', run: 'run_1' },
        { ref: 'B2', run: 'run_1' },
      ],
      meta: { source: 'shop/script' },
      variables: { seen: '2', env: 'test' },
      logs: ['orders: 2 {"first":{"ref":"a1"}}', 'warn: careful'],
    });
  });

  it('gives main the flow, the meta and the variables as they are', async () => {
    const output = await sandbox.run('function main(input) { return { payload: input } }', input('hello'));
    expect(output.payload).toEqual(input('hello'));
    expect(output).not.toHaveProperty('meta');
    expect(output).not.toHaveProperty('variables');
  });

  it('waits for an async main', async () => {
    const code = `
      async function main({ payload }) {
        const doubled = await Promise.all(payload.map(async (n) => n * 2));
        return { payload: doubled };
      }`;
    expect((await sandbox.run(code, input([1, 2, 3]))).payload).toEqual([2, 4, 6]);
  });

  it('accepts main declared with const, and a null payload', async () => {
    expect((await sandbox.run('const main = () => ({ payload: null });', input({}))).payload).toBeNull();
  });

  it('adds the logs main returns after the console lines', async () => {
    const output = await sandbox.run("function main() { console.info('a'); return { payload: 1, logs: ['b'] } }", input(0));
    expect(output.logs).toEqual(['a', 'b']);
  });

  describe('refuses a script that breaks the contract', () => {
    it.each([
      ['defines no main', 'const x = 1;', /defines no function main\(input\)/],
      ['returns no object', 'function main() { return 42 }', /must return an object .*got number/],
      ['returns no payload', 'function main() { return { meta: {} } }', /returned no payload/],
      [
        'returns an unknown key',
        'function main() { return { payload: 1, variable: {} } }',
        /returned "variable"; it may return payload, meta, variables and logs/,
      ],
      [
        'returns meta that is not text',
        'function main() { return { payload: 1, meta: { n: 1 } } }',
        /meta\.n must be a string, got number/,
      ],
      [
        'returns variables that are not an object',
        'function main() { return { payload: 1, variables: ["a"] } }',
        /variables must be an object of strings/,
      ],
      ['returns logs that are not text', 'function main() { return { payload: 1, logs: [1] } }', /logs must be a list of strings/],
    ])('that %s', async (_what, code, message) => {
      await expect(sandbox.run(code, input({}))).rejects.toMatchObject({
        code: 'SCRIPT_ERROR',
        retryable: false,
        message: expect.stringMatching(message),
      });
    });
  });

  it('reports a syntax error with its message and line', async () => {
    const code = 'function main(input) {\n  const x = ;\n  return { payload: x };\n}';
    await expect(sandbox.run(code, input({}))).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: "script does not compile: SyntaxError: Unexpected token ';' (line 2)",
    });
  });

  it('explains that import and export are not available', async () => {
    await expect(sandbox.run('export function main() { return { payload: 1 } }', input({}))).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: expect.stringMatching(/Unexpected token 'export' \(line 1\); scripts are plain scripts/),
    });
  });

  it('reports an error thrown by main with its message and line, keeping the lines logged before it', async () => {
    const code = "function main({ payload }) {\n  console.log('starting');\n\n  throw new TypeError('no customer ' + payload.id);\n}";
    await expect(sandbox.run(code, input({ id: 7 }))).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'script failed: TypeError: no customer 7 (line 4)',
      logs: ['starting'],
    });
  });

  it('reports an error of the top-level code and a rejected async main', async () => {
    await expect(sandbox.run('\nnull.x;\nfunction main() {}', input({}))).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: expect.stringMatching(/^script failed while loading \(top-level code\): TypeError: .*null.* \(line 2\)$/),
    });
    await expect(sandbox.run("async function main() { await null; throw 'plain text' }", input({}))).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'script failed: thrown value: plain text',
    });
  });

  it('stops a script that loops forever at its time limit, with SCRIPT_TIMEOUT', async () => {
    const started = performance.now();
    await expect(sandbox.run('function main() { for (;;) {} }', input({}), { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'SCRIPT_TIMEOUT',
      retryable: false,
      message: 'script ran longer than its limit of 200 ms and was stopped',
    });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('stops loops in top-level code, in an async main and in a promise that never settles', async () => {
    const loops = [
      'for (;;) {}\nfunction main() {}',
      'async function main() { for (;;) { await null } }',
      'function main() { return new Promise(() => {}) }',
    ];
    for (const code of loops) {
      await expect(sandbox.run(code, input({}), { timeoutMs: 200 })).rejects.toMatchObject({ code: 'SCRIPT_TIMEOUT' });
    }
  });

  it('stops a script that allocates without limit, with SCRIPT_MEMORY, and the next run works', async () => {
    const bomb = 'function main() { const keep = []; for (;;) keep.push(new Array(100000).fill(Math.random())); }';
    await expect(sandbox.run(bomb, input({}))).rejects.toMatchObject({
      code: 'SCRIPT_MEMORY',
      message: 'script used more than its memory limit of 32 MB and was stopped',
    });
    const buffers = 'function main() { const keep = []; for (;;) keep.push(new ArrayBuffer(10_000_000)); }';
    await expect(sandbox.run(buffers, input({}))).rejects.toMatchObject({ code: 'SCRIPT_MEMORY' });
    expect((await sandbox.run('function main() { return { payload: "fine" } }', input({}))).payload).toBe('fine');
  });

  it('keeps at most maxLogLines console lines and notes how many were dropped', async () => {
    const small = createSandbox({ maxLogLines: 3 });
    try {
      const output = await small.run(
        'function main() { for (let i = 0; i < 100000; i++) console.log(i); return { payload: 1 } }',
        input({}),
      );
      expect(output.logs).toEqual(['0', '1', '2', '… 99997 more log lines dropped (limit 3 per run)']);
    } finally {
      small.dispose();
    }
  });

  it('cuts a very long console line', async () => {
    const output = await sandbox.run("function main() { console.log('x'.repeat(100000)); return { payload: 1 } }", input({}));
    expect(output.logs[0]).toMatch(/^x{4096}… \(line cut at 4096 characters\)$/);
  });

  it('refuses output larger than maxOutputBytes', async () => {
    const small = createSandbox({ maxOutputBytes: 1_024 });
    try {
      await expect(small.run("function main() { return { payload: 'x'.repeat(2000) } }", input({}))).rejects.toMatchObject({
        code: 'SCRIPT_ERROR',
        message: expect.stringMatching(/^script output refused: the result is 2014 characters of JSON, more than the limit of 1024 bytes$/),
      });
      // Characters and bytes differ: the host counts UTF-8 bytes.
      await expect(small.run("function main() { return { payload: '€'.repeat(400) } }", input({}))).rejects.toMatchObject({
        message: 'script output refused: the result is 1214 bytes of JSON, more than the limit of 1024',
      });
    } finally {
      small.dispose();
    }
  });

  it('refuses output over the default 16 MiB', async () => {
    const big = createSandbox();
    try {
      await expect(big.run("function main() { return { payload: 'x'.repeat(17 * 1024 * 1024) } }", input({}))).rejects.toMatchObject({
        code: 'SCRIPT_ERROR',
        message: expect.stringContaining('more than the limit of 16777216 bytes'),
      });
    } finally {
      big.dispose();
    }
  });

  it.each([
    [
      'a function',
      'function main() { return { payload: { at: 1, fn() {} } } }',
      /result\.payload\.fn is a function, which has no JSON form/,
    ],
    ['a cycle', 'function main() { const a = { list: [] }; a.list.push(a); return { payload: a } }', /the result is not JSON: .*circular/i],
    ['a BigInt', 'function main() { return { payload: [1n] } }', /result\.payload\[0\] is a bigint/],
    ['NaN', 'function main() { return { payload: { n: 0 / 0 } } }', /result\.payload\.n is NaN/],
  ])('refuses output holding %s', async (_what, code, message) => {
    await expect(sandbox.run(code, input({}))).rejects.toMatchObject({ code: 'SCRIPT_ERROR', message: expect.stringMatching(message) });
  });

  it('lets another script finish normally while one loops', async () => {
    const looping = sandbox.run('function main() { for (;;) {} }', input({}), { timeoutMs: 1_500 });
    const started = performance.now();
    const quick = await sandbox.run('function main({ payload }) { return { payload: payload + 1 } }', input(41));
    expect(quick.payload).toBe(42);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(looping).rejects.toMatchObject({ code: 'SCRIPT_TIMEOUT' });
  });

  it('stops a run when its signal aborts', async () => {
    const controller = new AbortController();
    const running = sandbox.run('function main() { for (;;) {} }', input({}), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(running).rejects.toMatchObject({ code: 'SCRIPT_TIMEOUT', message: 'script stopped: its step was cancelled' });
  });

  it('refuses runs once disposed', async () => {
    const gone = createSandbox();
    gone.dispose();
    await expect(gone.run('function main() { return { payload: 1 } }', input({}))).rejects.toThrow(/disposed/);
  });
});
