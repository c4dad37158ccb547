/** The file name scripts are compiled under; stack frames and syntax errors name it with a line. */
export const SCRIPT_FILENAME = 'script.js';

/** Longest console line kept; longer ones are cut, so one huge line cannot stand in for a flood. */
export const LOG_LINE_MAX_CHARS = 4_096;

export interface BootstrapLimits {
  maxLogLines: number;
  maxOutputBytes: number;
}

/**
 * Source evaluated in every fresh context before the user's script. Its value is `[run, logs]`:
 * the host keeps references to both, so a script that redefines globals cannot replace them, and
 * the intrinsics they use are captured before any user code runs.
 *
 * `run(inputJson)` calls the script's `main` and settles to a tuple of primitives only:
 * `['ok', outputJson]`, `['error', message, line]`, `['contract', message]` or
 * `['output', message]`. `logs()` answers the console lines so far (also after a failure), with a
 * note when some were dropped.
 *
 * Shared memory and WebAssembly are removed: SharedArrayBuffer with Atomics.wait could block the
 * isolate's thread outside the reach of the time limit, and WebAssembly can hand out shared memory.
 */
export function bootstrapSource(limits: BootstrapLimits): string {
  const maxLines = Math.max(0, Math.floor(limits.maxLogLines));
  const maxOutput = Math.max(0, Math.floor(limits.maxOutputBytes));
  return `(() => {
  'use strict';
  const g = globalThis;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const defineProperty = Object.defineProperty;
  const hasOwn = Object.hasOwn;
  const isArray = Array.isArray;
  const toStr = String;
  const exec = RegExp.prototype.exec;
  const call = Function.prototype.call;
  const LINE_RE = /${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+):\\d+/;
  const MAX_LINES = ${maxLines};
  const MAX_LINE = ${LOG_LINE_MAX_CHARS};
  const MAX_OUTPUT = ${maxOutput};

  for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly']) delete g[name];

  // Null-prototype storage: setters a script puts on Array.prototype or Object.prototype never see the lines.
  const lines = Object.create(null);
  let count = 0;
  let dropped = 0;

  function show(value) {
    if (typeof value === 'string') return value;
    try {
      if (value instanceof Error) return toStr(value.stack || value);
      if (typeof value === 'object' && value !== null) {
        const json = stringify(value);
        if (typeof json === 'string') return json;
      }
    } catch {}
    try { return toStr(value); } catch { return '[unprintable]'; }
  }

  function write(prefix, args) {
    if (count >= MAX_LINES) { dropped++; return; }
    let line = prefix;
    for (let i = 0; i < args.length; i++) line += (i === 0 ? '' : ' ') + show(args[i]);
    if (line.length > MAX_LINE) line = line.slice(0, MAX_LINE) + '… (line cut at ' + MAX_LINE + ' characters)';
    lines[count++] = line;
  }

  const console = Object.create(null);
  console.log = (...args) => write('', args);
  console.info = (...args) => write('', args);
  console.debug = (...args) => write('', args);
  console.warn = (...args) => write('warn: ', args);
  console.error = (...args) => write('error: ', args);
  defineProperty(g, 'console', { value: Object.freeze(console), writable: true, configurable: true, enumerable: false });

  function logs() {
    const out = [];
    for (let i = 0; i < count; i++) defineProperty(out, i, { value: lines[i], writable: true, enumerable: true, configurable: true });
    if (dropped > 0) {
      defineProperty(out, count, {
        value: '… ' + dropped + ' more log line' + (dropped === 1 ? '' : 's') + ' dropped (limit ' + MAX_LINES + ' per run)',
        writable: true, enumerable: true, configurable: true,
      });
    }
    return out;
  }

  function describe(err) {
    let message;
    let stack = '';
    try {
      if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
        message = toStr(err.name || 'Error') + ': ' + toStr(err.message);
        stack = toStr(err.stack || '');
      } else {
        message = 'thrown value: ' + show(err);
      }
    } catch {
      message = 'the script threw a value that cannot be read';
    }
    const found = call.call(exec, LINE_RE, stack);
    return ['error', message, found ? Number(found[1]) : 0];
  }

  // Paths for messages: each object seen is remembered with the path that reached it.
  function checkedStringify(result) {
    const paths = new WeakMap();
    function replacer(key, value) {
      const parent = paths.get(this);
      const path = parent === undefined ? 'result' : (isArray(this) ? parent + '[' + key + ']' : parent + '.' + key);
      const type = typeof value;
      if (type === 'function' || type === 'symbol' || type === 'bigint') {
        throw new TypeError(path + ' is a ' + type + ', which has no JSON form');
      }
      if (type === 'number' && !(value - value === 0)) throw new TypeError(path + ' is ' + toStr(value) + ', which has no JSON form');
      if (type === 'object' && value !== null) paths.set(value, key === '' ? 'result' : path);
      return value;
    }
    return stringify(result, replacer);
  }

  async function run(inputJson) {
    const input = parse(inputJson);
    if (typeof main !== 'function') {
      return ['contract', 'the script defines no function main(input); define one at the top level that returns {payload, meta?, variables?}'];
    }
    let result;
    try {
      result = await main(input);
    } catch (err) {
      return describe(err);
    }
    if (typeof result !== 'object' || result === null || isArray(result)) {
      return ['contract', 'main must return an object {payload, meta?, variables?}, got ' + (result === null ? 'null' : isArray(result) ? 'a list' : typeof result)];
    }
    if (!hasOwn(result, 'payload') || result.payload === undefined) {
      return ['contract', 'main returned no payload; return {payload: ...} (null for an empty document)'];
    }
    let json;
    try {
      json = checkedStringify(result);
    } catch (err) {
      return ['output', 'the result is not JSON: ' + show(err && err.message)];
    }
    if (typeof json !== 'string') return ['output', 'the result is not JSON'];
    if (json.length > MAX_OUTPUT) {
      return ['output', 'the result is ' + json.length + ' characters of JSON, more than the limit of ' + MAX_OUTPUT + ' bytes'];
    }
    return ['ok', json];
  }

  return [run, logs];
})()`;
}
