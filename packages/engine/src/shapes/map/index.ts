import { AppError, isAppError, type MapConfig, type PayloadFormat } from '@weft/schema';
import { csvCodec, textCodec, xmlCodec } from '../../formats/index.js';
import { Payload } from '../../payload.js';
import { processSandbox } from '../../sandbox/shared.js';
import type { Shape, ShapeContext } from '../../shape.js';
import { runTemplateScope } from '../../templates/index.js';
import { cacheReader } from './cache-reader.js';
import {
  type CompiledMap,
  type CompiledRule,
  compileMapConfig,
  compileMapConfigChecked,
  compileRule,
  compileSettings,
  emptyOutputFor,
  type MapProblem,
} from './compile.js';
import { type MapEnv, runRules } from './evaluate.js';
import { loadMapResources, type MapResourceSources } from './resources.js';

export type { MapProblem } from './compile.js';

/**
 * The `map` shape (spec/flows.md §4): builds a new document from each payload of the bucket with
 * ordered rules `{source | sources[], target, transforms[]}`. Meta passes through; the output is
 * in `output_format` (JSON by default). A failing rule fails the step with AppError MAP_ERROR
 * naming the rule (`rules[3].transforms[0]: to_number cannot read "abc" as a number (element [4])`).
 */
export const mapShape: Shape<MapConfig> = {
  name: 'map',
  async execute(ctx: ShapeContext<MapConfig>, input: Payload[]) {
    const compiled = compileMapConfig(ctx.config);
    const run = runTemplateScope(ctx.run);
    const now = () => ctx.services.now();
    const { lookupTables, scripts } = ctx.services;
    const companyId = ctx.run.companyId;
    const resources = await loadMapResources(ctx.config.rules, {
      ...(lookupTables && { loadLookupTable: (name) => lookupTables.load(companyId, name) }),
      ...(scripts && { loadScript: (name, version) => scripts.load(companyId, name, version) }),
      sandbox: () => ctx.services.sandbox ?? processSandbox(),
      flow: { id: ctx.run.flowId, version_id: ctx.run.versionId, run_id: ctx.run.id },
      signal: ctx.signal,
    });
    const cacheEntry = cacheReader(ctx);
    const payloads: Payload[] = [];
    for (let i = 0; i < input.length; i++) {
      const payload = input[i]!;
      try {
        const env: MapEnv = { now, meta: payload.meta, variables: ctx.variables, run, ...resources, ...cacheEntry };
        let output = runRules(compiled, payload.value(), env);
        if (output instanceof Promise) output = await output;
        payloads.push(toPayload(output, compiled.outputFormat, payload.meta));
      } catch (err) {
        if (input.length > 1 && isAppError(err)) {
          throw new AppError(err.code, `payload ${i + 1} of ${input.length}: ${err.message}`, { cause: err, details: err.details });
        }
        throw err;
      }
    }
    return { payloads };
  },
};

const SERIALISERS = { csv: csvCodec, xml: xmlCodec, text: textCodec } as const;

/** The mapped document as a payload; non-JSON formats are written now, so a document the format cannot hold fails this step. */
function toPayload(output: unknown, format: PayloadFormat, meta: Record<string, string>): Payload {
  if (format === 'json') return Payload.fromValue(output, 'json', meta);
  return Payload.fromBytes(serialise(output, format), format, meta);
}

function serialise(output: unknown, format: Exclude<PayloadFormat, 'json'>): Buffer {
  try {
    return SERIALISERS[format].serialise(output);
  } catch (err) {
    const message = isAppError(err) ? err.message : String(err);
    throw new AppError('MAP_ERROR', `output_format ${format}: ${message}`, { cause: err });
  }
}

/** Every problem with a map config (rules, paths, transform names and arguments), for the flow validator. */
export function validateMapConfig(config: unknown): MapProblem[] {
  return compileMapConfigChecked(config).problems;
}

export interface PreviewOptions {
  wrap_input?: string;
  wrap_output?: string;
  output_format?: PayloadFormat;
  variables?: Record<string, string>;
  meta?: Record<string, string>;
  /** The clock for `now`; the current time by default. */
  now?: () => Date;
  /** Where `lookup` tables and `script` transforms come from; without them those transforms report an error. */
  resources?: Omit<MapResourceSources, 'flow' | 'signal'>;
}

export interface PreviewError {
  /** The rule at fault, or null for the map's own settings and the output format. */
  rule: number | null;
  message: string;
}

export interface PreviewResult {
  /** The mapped document: a JSON value, or the written text for xml, csv and text. */
  output: unknown;
  errors: PreviewError[];
}

/**
 * Maps a sample document for the map editor's live preview (`POST /api/v1/map/preview`). Never
 * throws for bad rules: a rule that does not compile or fails is reported and skipped, and the
 * others still apply, so the editor can show everything that is wrong at once. Async because
 * JSONata expressions evaluate asynchronously.
 */
export async function previewMap(rules: unknown, value: unknown, options: PreviewOptions = {}): Promise<PreviewResult> {
  const problems: MapProblem[] = [];
  const settings = compileSettings(options as Record<string, unknown>, problems);
  const compiledRules: CompiledRule[] = [];
  if (!Array.isArray(rules)) problems.push({ rule: null, path: 'rules', message: 'must be a list of rules' });
  else
    rules.forEach((raw, i) => {
      const rule = compileRule(raw, i, problems);
      if (rule) compiledRules.push(rule);
    });
  const errors: PreviewError[] = problems.map((p) => ({ rule: p.rule, message: `${p.path} ${p.message}` }));
  const map: CompiledMap = {
    ...settings,
    rules: compiledRules,
    async: compiledRules.some((r) => r.async),
    emptyOutput: emptyOutputFor(compiledRules),
  };
  const now = options.now ?? (() => new Date());
  const env: MapEnv = {
    now,
    meta: options.meta ?? {},
    variables: options.variables ?? {},
    run: { id: 'preview', queued_at: now().toISOString() },
    ...(options.resources &&
      (await loadMapResources(rules, { ...options.resources, flow: { id: 'preview', version_id: 'preview', run_id: 'preview' } }))),
  };
  let output = runRules(map, value, env, (rule, error) => errors.push({ rule, message: error.message }));
  if (output instanceof Promise) output = await output;
  errors.sort((a, b) => (a.rule ?? -1) - (b.rule ?? -1));
  if (map.outputFormat === 'json') return { output, errors };
  try {
    return { output: serialise(output, map.outputFormat).toString('utf8'), errors };
  } catch (err) {
    return { output: null, errors: [...errors, { rule: null, message: (err as Error).message }] };
  }
}
