import { SCRIPT_FILENAME } from './bootstrap.js';
import { loadIvm } from './load-ivm.js';
import type { TranspileProblem } from './transpile.js';

const CHECK_MEMORY_LIMIT_MB = 32;
const CHECK_TIMEOUT_MS = 1_000;
const STACK_LOCATION = new RegExp(`${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)`);

/**
 * The deploy step's second check, after transpileScript: runs the script's top-level code once in
 * a throwaway isolate (1 s, 32 MB, nothing but the ECMAScript built-ins) and answers a problem when
 * it throws or leaves no function `main`. Undefined when the script is ready to run.
 */
export function mainProblem(code: string): TranspileProblem | undefined {
  const isolate = new (loadIvm().Isolate)({ memoryLimit: CHECK_MEMORY_LIMIT_MB });
  try {
    const context = isolate.createContextSync();
    try {
      isolate.compileScriptSync(code, { filename: SCRIPT_FILENAME }).runSync(context, { timeout: CHECK_TIMEOUT_MS });
    } catch (err) {
      const e = err as Error;
      const found = STACK_LOCATION.exec(e?.stack ?? '');
      const message = `the top-level code fails: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
      return found ? { message, line: Number(found[1]), column: Number(found[2]) } : { message };
    }
    const kind = context.evalSync('typeof main', { timeout: CHECK_TIMEOUT_MS }) as string;
    if (kind !== 'function') {
      return {
        message:
          kind === 'undefined'
            ? 'the script defines no main; define function main(input) at the top level that returns {payload, meta?, variables?}'
            : `main must be a function, but it is ${kind === 'object' ? 'an object' : `a ${kind}`}`,
      };
    }
    return undefined;
  } finally {
    isolate.dispose();
  }
}
