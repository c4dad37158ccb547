import {
  AppError,
  isAppError,
  META_MAX_BYTES,
  type PayloadFormat,
  SCRIPT_TIMEOUT_MAX_SECONDS,
  type ScriptConfig,
  scriptVariableNameProblem,
} from '@weft/schema';
import { csvCodec, xmlCodec } from '../../formats/index.js';
import { Payload } from '../../payload.js';
import { payloadPosition } from '../../records/index.js';
import { type Sandbox, ScriptError } from '../../sandbox/index.js';
import { processSandbox } from '../../sandbox/shared.js';
import type { Shape, ShapeContext } from '../../shape.js';

// The engine's own step limit sits a little past the script's, so a slow script is reported by
// the sandbox (SCRIPT_TIMEOUT, with its logs) rather than by the bare step timeout.
const STEP_GRACE_MS = 5_000;

/**
 * The `script` shape (spec/flows.md §3): runs a deployed company script once per payload of the
 * bucket, in the sandbox (sandbox/README.md has the script's contract).
 *
 * `main` receives the parsed payload (text as a string, CSV as rows, XML as its tree), the meta,
 * the flow variables and `{id, version_id, run_id}`. The payload it returns is written in the
 * input's format; a text payload for which it returns anything but a string becomes JSON, and for
 * CSV or XML a returned string is taken as the document itself. Returned meta is merged over the
 * payload's; returned variables hold for the next payloads of the bucket and the rest of the run.
 * Console lines go to the run log. The time limit covers the whole bucket.
 */
export const scriptShape: Shape<ScriptConfig> = {
  name: 'script',
  timeoutMs: (config) => limitMs(config) + STEP_GRACE_MS,
  async execute(ctx, input) {
    const deadline = performance.now() + limitMs(ctx.config);
    const { code, version } = await loadScript(ctx);
    const sandbox = ctx.services.sandbox ?? processSandbox();
    const flow = { id: ctx.run.flowId, version_id: ctx.run.versionId, run_id: ctx.run.id };
    ctx.log({ level: 'info', message: `script "${ctx.config.script}" version ${version}`, data: { script: ctx.config.script, version } });

    let variables = ctx.variables;
    const set: Record<string, string> = {};
    const payloads: Payload[] = [];
    for (let i = 0; i < input.length; i++) {
      const payload = input[i]!;
      const where = input.length === 1 ? '' : `${payloadPosition(i, input.length)}: `;
      try {
        const timeoutMs = deadline - performance.now();
        if (timeoutMs < 1) throw timeoutError(ctx.config, []);
        let output: Awaited<ReturnType<Sandbox['run']>>;
        try {
          output = await sandbox.run(
            code,
            { payload: payload.value(), meta: payload.meta, variables, flow },
            { timeoutMs, signal: ctx.signal },
          );
        } catch (err) {
          if (!(err instanceof ScriptError)) throw err;
          logLines(ctx, err.logs, where);
          // The sandbox knows only the time left of the bucket; the user set the step's limit.
          if (err.code === 'SCRIPT_TIMEOUT' && !ctx.signal.aborted) throw timeoutError(ctx.config, err.logs, err);
          throw err;
        }
        logLines(ctx, output.logs, where);
        const meta = output.meta === undefined ? payload.meta : { ...payload.meta, ...output.meta };
        checkMeta(meta);
        if (output.variables !== undefined) {
          for (const name of Object.keys(output.variables)) {
            const problem = scriptVariableNameProblem(name);
            if (problem !== undefined) throw new AppError('SCRIPT_ERROR', `script broke its contract: ${problem}`);
          }
          Object.assign(set, output.variables);
          variables = { ...variables, ...output.variables };
        }
        payloads.push(toPayload(output.payload, payload.format, meta));
      } catch (err) {
        if (where === '' || !isAppError(err)) throw err;
        if (err instanceof ScriptError) throw new ScriptError(err.code, `${where}${err.message}`, err.logs, err);
        throw new AppError(err.code, `${where}${err.message}`, { cause: err, details: err.details });
      }
    }
    return Object.keys(set).length === 0 ? { payloads } : { payloads, variables: set };
  },
};

function limitMs(config: ScriptConfig): number {
  return (config.timeout_seconds ?? SCRIPT_TIMEOUT_MAX_SECONDS) * 1000;
}

function timeoutError(config: ScriptConfig, logs: string[], cause?: unknown): ScriptError {
  const limit = `${limitMs(config) / 1000} s`;
  return new ScriptError('SCRIPT_TIMEOUT', `script ran longer than its limit of ${limit} (timeout_seconds) and was stopped`, logs, cause);
}

async function loadScript(ctx: ShapeContext<ScriptConfig>): Promise<{ code: string; version: number }> {
  const { script, version } = ctx.config;
  const store = ctx.services.scripts;
  if (store === undefined) {
    throw new AppError('SCRIPT_ERROR', `script "${script}" cannot run: this engine was started without a script store`);
  }
  const source = await store.load(ctx.run.companyId, script, version);
  if (source === undefined) {
    const which = version === undefined ? `script "${script}" has no deployed version` : `script "${script}" has no version ${version}`;
    throw new AppError('SCRIPT_ERROR', `${which}; deploy it, or correct the step's script name and version`);
  }
  return source;
}

function logLines(ctx: ShapeContext<ScriptConfig>, lines: readonly string[], where: string): void {
  for (const line of lines) ctx.log({ level: 'info', message: `${where}${line}` });
}

function checkMeta(meta: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(meta)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (bytes > META_MAX_BYTES) {
    throw new AppError(
      'SCRIPT_ERROR',
      `script returned meta that would hold ${bytes} bytes, more than the limit of ${META_MAX_BYTES}; return shorter values`,
    );
  }
}

const STRUCTURED = { csv: csvCodec, xml: xmlCodec } as const;

function toPayload(value: unknown, format: PayloadFormat, meta: Record<string, string>): Payload {
  switch (format) {
    case 'json':
      return Payload.fromValue(value, 'json', meta);
    case 'text':
      return typeof value === 'string' ? Payload.fromValue(value, 'text', meta) : Payload.fromValue(value, 'json', meta);
    case 'csv':
    case 'xml': {
      if (typeof value === 'string') return Payload.fromBytes(Buffer.from(value), format, meta);
      // Written now, so a document the format cannot hold fails this step rather than the next.
      try {
        return Payload.fromBytes(STRUCTURED[format].serialise(value), format, meta);
      } catch (err) {
        const message = isAppError(err) ? err.message : String((err as Error)?.message ?? err);
        throw new AppError('SCRIPT_ERROR', `script returned a payload that cannot be written as ${format}: ${message}`, { cause: err });
      }
    }
  }
}
