import { createRequire } from 'node:module';
import { SCRIPT_FILENAME } from './bootstrap.js';
import { loadIvm } from './load-ivm.js';

// esbuild costs ~13 MB of resident memory once loaded, and only deploying a TypeScript script
// needs it, so it is loaded on first use rather than when the server starts.
const require = createRequire(import.meta.url);
let esbuild: typeof import('esbuild') | undefined;
const loadEsbuild = (): typeof import('esbuild') => {
  esbuild ??= require('esbuild') as typeof import('esbuild');
  return esbuild;
};

export type ScriptLanguage = 'javascript' | 'typescript';

export interface TranspileProblem {
  message: string;
  /** 1-based, in the source as written; absent when the problem has no place. */
  line?: number;
  column?: number;
}

export type TranspileResult = { code: string } | { errors: TranspileProblem[] };

const SYNTAX_LOCATION = new RegExp(`\\s*\\[${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)\\]$`);
const CHECK_MEMORY_LIMIT_MB = 64;

/**
 * Turns a script as written into the JavaScript the sandbox runs, for the deploy step.
 *
 * TypeScript goes through esbuild, which strips types without checking them (the dashboard's
 * editor is the place for type errors); its output is reprinted, so line numbers in run-time
 * errors of a TypeScript script refer to the stored JavaScript. JavaScript is kept exactly as
 * written, so its line numbers stay the author's.
 *
 * Either way the result is compiled once as a classic script in a throwaway isolate, the very
 * compiler the sandbox uses, so a script that cannot run (a syntax error, `import`/`export`) is
 * refused at deploy with V8's own message instead of failing its first run.
 */
export function transpileScript(source: string, language: ScriptLanguage): TranspileResult {
  let code = source;
  if (language === 'typescript') {
    try {
      code = loadEsbuild().transformSync(source, { loader: 'ts', target: 'es2022', logLevel: 'silent', sourcefile: 'script.ts' }).code;
    } catch (err) {
      return { errors: esbuildProblems(err) };
    }
  }
  const problem = classicScriptProblem(code);
  if (problem !== undefined) return { errors: [problem] };
  return { code };
}

interface EsbuildMessage {
  text: string;
  location: { line: number; column: number } | null;
}

function esbuildProblems(err: unknown): TranspileProblem[] {
  const messages = (err as { errors?: EsbuildMessage[] }).errors;
  if (!Array.isArray(messages) || messages.length === 0) return [{ message: (err as Error)?.message ?? String(err) }];
  return messages.map((m) =>
    m.location === null ? { message: m.text } : { message: m.text, line: m.location.line, column: m.location.column + 1 },
  );
}

function classicScriptProblem(code: string): TranspileProblem | undefined {
  const isolate = new (loadIvm().Isolate)({ memoryLimit: CHECK_MEMORY_LIMIT_MB });
  try {
    isolate.compileScriptSync(code, { filename: SCRIPT_FILENAME }).release();
    return undefined;
  } catch (err) {
    const e = err as Error;
    const raw = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
    const found = SYNTAX_LOCATION.exec(e?.message ?? '');
    const message = found ? raw.replace(SYNTAX_LOCATION, '') : raw;
    const hint = /\b(import|export)\b/.test(message) ? ' (scripts are plain scripts: define function main(input) at the top level)' : '';
    return found ? { message: `${message}${hint}`, line: Number(found[1]), column: Number(found[2]) } : { message: `${message}${hint}` };
  } finally {
    isolate.dispose();
  }
}
