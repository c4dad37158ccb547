export { LOG_LINE_MAX_CHARS, SCRIPT_FILENAME } from './bootstrap.js';
export { mainProblem } from './defines-main.js';
export {
  createSandbox,
  type RunOptions,
  SANDBOX_DEFAULTS,
  type Sandbox,
  type SandboxOptions,
  ScriptError,
  type ScriptErrorCode,
  type ScriptInput,
  type ScriptOutput,
} from './sandbox.js';
export { processSandbox } from './shared.js';
export { type ScriptLanguage, type TranspileProblem, type TranspileResult, transpileScript } from './transpile.js';
