import { mainProblem, type TranspileProblem, transpileScript } from '@weft/engine';
import { AppError } from '@weft/schema';
import type { ScriptLanguage } from '../../store/scripts-types.js';

function describe(problem: TranspileProblem): string {
  if (problem.line === undefined) return problem.message;
  return `line ${problem.line}${problem.column === undefined ? '' : `, column ${problem.column}`}: ${problem.message}`;
}

/**
 * The deploy step: TypeScript transpiled to JavaScript, the result compiled as the sandbox will,
 * its top-level code run once to check it defines `main`. Throws VALIDATION_FAILED with every
 * problem under `code` (each naming its line and column) when the script cannot run.
 */
export function compileForDeploy(source: string, language: ScriptLanguage): string {
  const result = transpileScript(source, language);
  const problems = 'errors' in result ? result.errors : [];
  if ('code' in result) {
    const problem = mainProblem(result.code);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0 || !('code' in result)) {
    const lines = problems.map(describe);
    throw new AppError(
      'VALIDATION_FAILED',
      `The script cannot be deployed: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ''}.`,
      {
        details: { code: lines },
      },
    );
  }
  return result.code;
}
