import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, type ScriptInput } from './index.js';

// spec/quality.md §3: no access to the host process, environment, file system or other runs' data.
const sandbox = createSandbox({ timeoutMs: 1_000, memoryLimitMb: 32 });
afterAll(() => sandbox.dispose());

const input: ScriptInput = { payload: {}, meta: {}, variables: {}, flow: { id: 'f', version_id: 'v', run_id: 'r' } };

/** Runs a main whose body returns what it could reach; every probe is wrapped so one failure does not hide the others. */
async function probe(body: string): Promise<unknown> {
  const code = `
    function attempt(fn) { try { const v = fn(); return v === undefined ? 'undefined' : typeof v; } catch (e) { return 'threw ' + e.name; } }
    async function attemptAsync(fn) { try { await fn(); return 'resolved'; } catch (e) { return 'rejected ' + String(e && e.message); } }
    async function main() { ${body} }`;
  return (await sandbox.run(code, input)).payload;
}

describe('the script sandbox against escape attempts', () => {
  it('gives no process through the constructor chain', async () => {
    expect(
      await probe(`return { payload: {
        viaThis: attempt(() => this.constructor.constructor('return process')()),
        viaFunction: attempt(() => (function () {}).constructor('return process')()),
        viaAsyncFunction: attempt(() => (async function () {}).constructor('return process')),
      } };`),
    ).toEqual({ viaThis: 'threw ReferenceError', viaFunction: 'threw ReferenceError', viaAsyncFunction: 'function' });
  });

  it('has no process, require, module, Buffer or timers on the global object', async () => {
    const found = await probe(`
      const g = Function('return this')();
      const names = ['process', 'require', 'module', 'exports', 'Buffer', 'global', 'setTimeout', 'setInterval', 'setImmediate',
        'queueMicrotask', 'fetch', 'XMLHttpRequest', 'WebSocket', 'ivm', '_ivm', 'SharedArrayBuffer', 'Atomics', 'WebAssembly'];
      return { payload: {
        present: names.filter((n) => n in g || typeof globalThis[n] !== 'undefined'),
        globalThisProcess: typeof globalThis.process,
        evalProcess: attempt(() => eval('process')),
      } };`);
    expect(found).toEqual({ present: [], globalThisProcess: 'undefined', evalProcess: 'threw ReferenceError' });
  });

  it('cannot import modules', async () => {
    expect(
      await probe(`return { payload: {
        fs: await attemptAsync(() => import('fs')),
        nodeFs: await attemptAsync(() => import('node:fs')),
        child: await attemptAsync(() => import('child_process')),
      } };`),
    ).toEqual({ fs: 'rejected Not supported', nodeFs: 'rejected Not supported', child: 'rejected Not supported' });
    await expect(sandbox.run("import fs from 'fs';\nfunction main() {}", input)).rejects.toMatchObject({ code: 'SCRIPT_ERROR' });
  });

  it('has no shared memory to make, and so no Atomics.wait to stall on', async () => {
    expect(
      await probe(`return { payload: {
        sab: attempt(() => new SharedArrayBuffer(8)),
        wait: attempt(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(8)), 0, 0)),
        wasmShared: attempt(() => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true })),
      } };`),
    ).toEqual({ sab: 'threw ReferenceError', wait: 'threw ReferenceError', wasmShared: 'threw ReferenceError' });
  });

  it('keeps prototype tampering inside the isolate', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const code = `
      Object.prototype.polluted = 'yes';
      Array.prototype.push = function () { return 'hijacked'; };
      JSON.stringify = () => '{"payload":"forged"}';
      Object.defineProperty(Object.prototype, 'payload', { get() { return 'from prototype'; }, configurable: true });
      function main() { return { payload: [1, 2].concat([3]) }; }`;
    const output = await sandbox.run(code, input);
    expect(output.payload).toEqual([1, 2, 3]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).payload).toBeUndefined();
    expect([0].push(1)).toBe(2);
    expect(JSON.stringify({ a: 1 })).toBe('{"a":1}');
  });

  it('does not let a payload key named __proto__ reach prototypes on the host', async () => {
    const output = await sandbox.run(
      'function main() { return { payload: JSON.parse(\'{"__proto__": {"admin": true}}\'), meta: JSON.parse(\'{"__proto__": "x"}\') } }',
      input,
    );
    expect(Object.getPrototypeOf(output.payload)).toBe(Object.prototype);
    expect(Object.hasOwn(output.payload as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.getPrototypeOf(output.meta)).toBe(Object.prototype);
    expect(Object.hasOwn(output.meta as object, '__proto__')).toBe(true);
  });

  it('starts every run from a clean isolate: globals and tampering of one run are gone in the next', async () => {
    await sandbox.run(
      "globalThis.secret = 'run 1 data'; var leaked = 'run 1'; Array.prototype.extra = 1; function main() { return { payload: 1 } }",
      input,
    );
    const next = await sandbox.run(
      "function main() { return { payload: [typeof secret, typeof globalThis.secret, typeof leaked, typeof [].extra, 'main' in globalThis] } }",
      input,
    );
    expect(next.payload).toEqual(['undefined', 'undefined', 'undefined', 'undefined', true]);
  });

  it('cannot read another run that is in flight at the same time', async () => {
    const holder = sandbox.run(
      "globalThis.secret = 'other run'; async function main() { for (let i = 0; i < 1e6; i++) await null; return { payload: 1 } }",
      input,
    );
    const reader = await sandbox.run('function main() { return { payload: typeof globalThis.secret } }', input);
    expect(reader.payload).toBe('undefined');
    await holder.catch(() => {});
  });

  it('cannot replace console to smuggle objects out', async () => {
    const output = await sandbox.run(
      "function main() { console.log({ toJSON() { return 'safe' } }, () => 1, Symbol('s')); console.log = null; return { payload: 1 } }",
      input,
    );
    expect(output.logs).toEqual(['"safe" () => 1 Symbol(s)']);
  });
});
