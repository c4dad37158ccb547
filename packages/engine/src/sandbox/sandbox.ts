import { AppError } from '@weft/schema';
import type ivm from 'isolated-vm';
import { bootstrapSource, SCRIPT_FILENAME } from './bootstrap.js';
import { loadIvm } from './load-ivm.js';

export interface SandboxOptions {
  /** Heap limit of each isolate; isolated-vm may let a hostile script reach 2-3 times this before it stops it. */
  memoryLimitMb?: number;
  /** Wall-clock limit of one run: compile, top-level code and main together. */
  timeoutMs?: number;
  /** Largest result (the JSON of `{payload, meta?, variables?}`), in UTF-8 bytes. */
  maxOutputBytes?: number;
  /** Console lines kept per run; the rest are counted and replaced by one note. */
  maxLogLines?: number;
}

/** What a script's `main` receives. */
export interface ScriptInput {
  payload: unknown;
  meta: Record<string, string>;
  variables: Record<string, string>;
  flow: { id: string; version_id: string; run_id: string };
}

/** What a run answers; `meta` and `variables` only when main returned them. */
export interface ScriptOutput {
  payload: unknown;
  meta?: Record<string, string>;
  variables?: Record<string, string>;
  logs: string[];
}

export interface RunOptions {
  /** A shorter limit for this run than the sandbox's (never a longer one). */
  timeoutMs?: number;
  /** Aborting stops the script at once and disposes its isolate. */
  signal?: AbortSignal;
}

export interface Sandbox {
  /** Runs `code` (JavaScript defining `main`) on one input; throws AppError SCRIPT_ERROR, SCRIPT_TIMEOUT or SCRIPT_MEMORY. */
  run(code: string, input: ScriptInput, options?: RunOptions): Promise<ScriptOutput>;
  /** Stops every run in flight and refuses new ones. */
  dispose(): void;
}

export type ScriptErrorCode = 'SCRIPT_ERROR' | 'SCRIPT_TIMEOUT' | 'SCRIPT_MEMORY';

/** A script failure; `logs` holds what the script printed before it failed, when that could be read. */
export class ScriptError extends AppError {
  declare readonly code: ScriptErrorCode;
  readonly logs: string[];
  constructor(code: ScriptErrorCode, message: string, logs: string[] = [], cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
    this.name = 'ScriptError';
    this.logs = logs;
  }
}

export const SANDBOX_DEFAULTS = {
  memoryLimitMb: 128,
  timeoutMs: 120_000,
  maxOutputBytes: 16 * 1024 * 1024,
  maxLogLines: 1_000,
} as const satisfies Required<SandboxOptions>;

// isolated-vm's own limit fires inside the isolate; this one, a little later, also covers a main
// whose promise never settles (nothing in the isolate runs, so isolated-vm has nothing to time).
const WALL_GRACE_MS = 50;
const LOGS_READ_TIMEOUT_MS = 1_000;
const OUTPUT_KEYS = new Set(['payload', 'meta', 'variables', 'logs']);
const ISOLATE_MEMORY_MESSAGE = /memory limit/i;
const ISOLATE_TIMEOUT_MESSAGE = /execution timed out/i;

type RunTuple = ['ok', string] | ['error', string, number] | ['contract', string] | ['output', string];

/**
 * Creates a script sandbox on isolated-vm. Every run gets a fresh context in an isolate it has to
 * itself for the run; isolates are pooled between runs and disposed after any run killed at a
 * limit. See README.md for the contract, the limits and the costs that chose this design.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const limits = { ...SANDBOX_DEFAULTS, ...definedOnly(options) };
  const bootstrap = bootstrapSource(limits);
  const pool = createIsolatePool(limits.memoryLimitMb);

  async function run(code: string, input: ScriptInput, runOptions: RunOptions = {}): Promise<ScriptOutput> {
    if (pool.disposed) throw new AppError('INTERNAL', 'the script sandbox has been disposed');
    const timeoutMs = Math.max(1, Math.min(limits.timeoutMs, runOptions.timeoutMs ?? limits.timeoutMs));
    const inputJson = JSON.stringify(input);
    const deadline = performance.now() + timeoutMs;
    const remaining = () => Math.max(1, Math.ceil(deadline - performance.now()));

    const isolate = pool.checkout();
    // Only a run that ended inside its limits hands its isolate back; a killed one is disposed.
    let reusable = false;
    let stoppedBy: 'timeout' | 'abort' | undefined;
    const stop = (reason: 'timeout' | 'abort') => {
      stoppedBy ??= reason;
      if (!isolate.isDisposed) isolate.dispose();
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs + WALL_GRACE_MS);
    const onAbort = () => stop('abort');
    runOptions.signal?.addEventListener('abort', onAbort, { once: true });
    if (runOptions.signal?.aborted) stop('abort');

    const handles: { release(): void }[] = [];
    let readLogs: ivm.Reference | undefined;
    const logsSoFar = async (): Promise<string[]> => {
      if (readLogs === undefined || isolate.isDisposed) return [];
      try {
        const logs = await readLogs.apply(undefined, [], { timeout: LOGS_READ_TIMEOUT_MS, result: { copy: true } });
        return Array.isArray(logs) ? logs.map(String) : [];
      } catch {
        return [];
      }
    };

    try {
      // A fresh context per run: its own global object and its own Object, Array, JSON…, so
      // nothing one run defines or tampers with is visible to the next run on this isolate.
      const context = await isolate.createContext();
      handles.push(context);
      const fns = await context.eval(bootstrap, { reference: true, timeout: remaining() });
      const runMain = (await fns.get(0, { reference: true })) as ivm.Reference;
      readLogs = (await fns.get(1, { reference: true })) as ivm.Reference;
      handles.push(fns, runMain, readLogs);

      let script: ivm.Script;
      try {
        script = await isolate.compileScript(code, { filename: SCRIPT_FILENAME });
        handles.push(script);
      } catch (err) {
        throw compileError(err);
      }
      try {
        await script.run(context, { timeout: remaining() });
      } catch (err) {
        throw runtimeError(err, 'while loading (top-level code)');
      }
      const tuple = (await runMain.apply(undefined, [inputJson], {
        timeout: remaining(),
        result: { promise: true, copy: true },
      })) as RunTuple;
      const logs = await logsSoFar();
      reusable = stoppedBy === undefined;
      return readResult(tuple, logs, limits.maxOutputBytes);
    } catch (err) {
      const failure = classify(err, stoppedBy, timeoutMs, limits.memoryLimitMb, isolate.isDisposed, runOptions.signal);
      // Failures the script caused within its limits (it threw, did not compile) leave the isolate sound.
      if (err instanceof ScriptError && stoppedBy === undefined && !isolate.isDisposed) reusable = true;
      if (failure instanceof ScriptError && failure.logs.length === 0) {
        const logs = await logsSoFar();
        if (logs.length > 0) throw new ScriptError(failure.code, failure.message, logs, failure.cause);
      }
      throw failure;
    } finally {
      clearTimeout(timer);
      runOptions.signal?.removeEventListener('abort', onAbort);
      if (!isolate.isDisposed) for (const handle of handles) handle.release();
      pool.checkin(isolate, reusable);
    }
  }

  return { run, dispose: () => pool.dispose() };
}

// An isolate serves this many runs before it is replaced, and is replaced sooner when what the
// runs left behind (before the collector got to it) fills half its heap.
const RUNS_PER_ISOLATE = 200;
const MAX_IDLE_ISOLATES = 4;

/**
 * Isolates are lent out one run at a time, never shared by two runs at once, so a run killed at
 * its memory or time limit takes only its own isolate down. Creating an isolate costs about
 * 3 ms of the event loop's time; a context in a warm one about 0.3 ms (README.md).
 */
function createIsolatePool(memoryLimitMb: number) {
  const idle: ivm.Isolate[] = [];
  const busy = new Set<ivm.Isolate>();
  const runs = new WeakMap<ivm.Isolate, number>();
  const heapCeilingBytes = (memoryLimitMb * 1024 * 1024) / 2;
  const pool = {
    disposed: false,
    checkout(): ivm.Isolate {
      let isolate = idle.pop();
      while (isolate?.isDisposed) isolate = idle.pop();
      isolate ??= new (loadIvm().Isolate)({ memoryLimit: memoryLimitMb });
      busy.add(isolate);
      runs.set(isolate, (runs.get(isolate) ?? 0) + 1);
      return isolate;
    },
    checkin(isolate: ivm.Isolate, reusable: boolean): void {
      busy.delete(isolate);
      if (isolate.isDisposed) return;
      const keep =
        reusable &&
        !pool.disposed &&
        idle.length < MAX_IDLE_ISOLATES &&
        (runs.get(isolate) ?? 0) < RUNS_PER_ISOLATE &&
        isolate.getHeapStatisticsSync().used_heap_size < heapCeilingBytes;
      if (keep) idle.push(isolate);
      else isolate.dispose();
    },
    dispose(): void {
      pool.disposed = true;
      for (const isolate of [...idle, ...busy]) if (!isolate.isDisposed) isolate.dispose();
      idle.length = 0;
      busy.clear();
    },
  };
  return pool;
}

function definedOnly(options: SandboxOptions): SandboxOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function readResult(tuple: RunTuple, logs: string[], maxOutputBytes: number): ScriptOutput {
  switch (tuple[0]) {
    case 'ok':
      break;
    case 'error':
      // A script may catch this RangeError, so it is not always fatal; uncaught, it is the memory limit speaking.
      if (tuple[1].startsWith('RangeError: Array buffer allocation failed')) {
        throw new ScriptError(
          'SCRIPT_MEMORY',
          `script could not allocate memory within its limit: ${tuple[1]}${tuple[2] > 0 ? ` (line ${tuple[2]})` : ''}`,
          logs,
        );
      }
      throw new ScriptError('SCRIPT_ERROR', `script failed: ${tuple[1]}${tuple[2] > 0 ? ` (line ${tuple[2]})` : ''}`, logs);
    case 'contract':
      throw new ScriptError('SCRIPT_ERROR', `script broke its contract: ${tuple[1]}`, logs);
    case 'output':
      throw new ScriptError('SCRIPT_ERROR', `script output refused: ${tuple[1]}`, logs);
    default:
      throw new ScriptError('SCRIPT_ERROR', 'script answered something that is not a result', logs);
  }
  // The isolate's own checks are a courtesy; these on the host are the ones that hold.
  const json = tuple[1];
  if (typeof json !== 'string') throw new ScriptError('SCRIPT_ERROR', 'script output refused: the result is not JSON', logs);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxOutputBytes) {
    throw new ScriptError(
      'SCRIPT_ERROR',
      `script output refused: the result is ${bytes} bytes of JSON, more than the limit of ${maxOutputBytes}`,
      logs,
    );
  }
  let result: unknown;
  try {
    result = JSON.parse(json);
  } catch {
    throw new ScriptError('SCRIPT_ERROR', 'script output refused: the result is not JSON', logs);
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result) || !Object.hasOwn(result, 'payload')) {
    throw new ScriptError('SCRIPT_ERROR', 'script broke its contract: main must return an object {payload, meta?, variables?}', logs);
  }
  const fields = result as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!OUTPUT_KEYS.has(key)) {
      throw new ScriptError(
        'SCRIPT_ERROR',
        `script broke its contract: main returned ${JSON.stringify(key)}; it may return payload, meta, variables and logs`,
        logs,
      );
    }
  }
  const output: ScriptOutput = { payload: fields.payload, logs };
  if (fields.meta !== undefined) output.meta = stringRecord(fields.meta, 'meta', logs);
  if (fields.variables !== undefined) output.variables = stringRecord(fields.variables, 'variables', logs);
  if (fields.logs !== undefined) {
    if (!Array.isArray(fields.logs) || fields.logs.some((l) => typeof l !== 'string')) {
      throw new ScriptError('SCRIPT_ERROR', 'script broke its contract: logs must be a list of strings', logs);
    }
    output.logs = [...logs, ...(fields.logs as string[])];
  }
  return output;
}

function stringRecord(value: unknown, name: string, logs: string[]): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ScriptError('SCRIPT_ERROR', `script broke its contract: ${name} must be an object of strings`, logs);
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new ScriptError(
        'SCRIPT_ERROR',
        `script broke its contract: ${name}.${key} must be a string, got ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}`,
        logs,
      );
    }
    // Defined as data, so a "__proto__" key stays a key.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const SYNTAX_LOCATION = new RegExp(`\\s*\\[${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)\\]$`);
const STACK_LOCATION = new RegExp(`${SCRIPT_FILENAME.replace('.', '\\.')}:(\\d+):\\d+`);

function compileError(err: unknown): ScriptError {
  const e = err as Error;
  const raw = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
  const found = SYNTAX_LOCATION.exec(e?.message ?? '');
  const message = found ? raw.replace(SYNTAX_LOCATION, '') : raw;
  const hint = /\b(import|export)\b/.test(message)
    ? '; scripts are plain scripts: define function main(input) at the top level, without import or export'
    : '';
  return new ScriptError('SCRIPT_ERROR', `script does not compile: ${message}${found ? ` (line ${found[1]})` : ''}${hint}`, [], err);
}

function runtimeError(err: unknown, when: string): unknown {
  const e = err as Error;
  if (typeof e?.message === 'string' && (ISOLATE_TIMEOUT_MESSAGE.test(e.message) || ISOLATE_MEMORY_MESSAGE.test(e.message))) return err;
  const found = STACK_LOCATION.exec(e?.stack ?? '');
  return new ScriptError(
    'SCRIPT_ERROR',
    `script failed ${when}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}${found ? ` (line ${found[1]})` : ''}`,
    [],
    err,
  );
}

function classify(
  err: unknown,
  stoppedBy: 'timeout' | 'abort' | undefined,
  timeoutMs: number,
  memoryLimitMb: number,
  isolateDisposed: boolean,
  signal: AbortSignal | undefined,
): AppError {
  if (stoppedBy === 'abort') {
    const reason: unknown = signal?.reason;
    return reason instanceof AppError ? reason : new ScriptError('SCRIPT_TIMEOUT', 'script stopped: its step was cancelled', [], err);
  }
  if (err instanceof AppError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (stoppedBy === 'timeout' || ISOLATE_TIMEOUT_MESSAGE.test(message)) {
    return new ScriptError('SCRIPT_TIMEOUT', `script ran longer than its limit of ${formatMs(timeoutMs)} and was stopped`, [], err);
  }
  if (ISOLATE_MEMORY_MESSAGE.test(message) || (isolateDisposed && /disposed/i.test(message))) {
    return new ScriptError('SCRIPT_MEMORY', `script used more than its memory limit of ${memoryLimitMb} MB and was stopped`, [], err);
  }
  return new ScriptError('SCRIPT_ERROR', `script failed: ${message}`, [], err);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
