import { AppError, type MapConfig, type PayloadFormat, TARGET_SOURCE_PREFIX } from '@weft/schema';
import { type CompiledPath, compilePath, pathProblem, pathThroughWildcard } from '../../paths/index.js';
import { type CompiledTransform, compileTransform } from '../../transforms/index.js';

/** A problem with a map config, at a field path under the config (`rules[1].transforms[0].args.separator`). */
export interface MapProblem {
  /** The rule it belongs to, or null for the map's own settings. */
  rule: number | null;
  path: string;
  message: string;
}

export interface CompiledSource {
  path: CompiledPath;
  /** Reads the output built by earlier rules (`$target.` sources). */
  fromTarget: boolean;
}

export interface CompiledRule {
  index: number;
  sources: CompiledSource[];
  /** `sources[]` was given: the rule value is the list of the sources' values. */
  multi: boolean;
  target: CompiledPath;
  /**
   * How many leading `*` of the target take their positions from the sources' matches. Target
   * stars beyond it write into every element already there.
   */
  align: number;
  transforms: CompiledTransform[];
  async: boolean;
  /** Where ctx.record() reads: the first source cut after its last aligned `*`; undefined for the whole input. */
  recordPath: CompiledPath | undefined;
  recordFromTarget: boolean;
}

export interface CompiledMap {
  rules: CompiledRule[];
  async: boolean;
  wrapInput: string | undefined;
  wrapOutput: string | undefined;
  outputFormat: PayloadFormat;
  /** What an output nothing was written to becomes: a list when the first target starts with `*` or a position. */
  emptyOutput: 'list' | 'object';
}

const RULE_KEYS = new Set(['source', 'sources', 'target', 'transforms']);
const TRANSFORM_KEYS = new Set(['fn', 'args']);
const CONFIG_KEYS = new Set(['rules', 'wrap_input', 'wrap_output', 'output_format']);
const OUTPUT_FORMATS: readonly string[] = ['json', 'xml', 'csv', 'text'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileSource(text: string, at: string, problems: MapProblem[], rule: number): CompiledSource | undefined {
  const fromTarget = text === '$target' || text.startsWith(TARGET_SOURCE_PREFIX);
  const bare = text === '$target' ? '' : fromTarget ? text.slice(TARGET_SOURCE_PREFIX.length) : text;
  const problem = pathProblem(bare);
  if (problem !== undefined) {
    problems.push({ rule, path: at, message: problem });
    return undefined;
  }
  return { path: compilePath(bare), fromTarget };
}

/** Compiles one rule; problems are pushed with paths `rules[i]…` and the rule comes back only when it has none. */
export function compileRule(raw: unknown, index: number, problems: MapProblem[]): CompiledRule | undefined {
  const at = `rules[${index}]`;
  const before = problems.length;
  const add = (path: string, message: string) => problems.push({ rule: index, path, message });
  if (!isObject(raw)) {
    add(at, 'must be an object with a target');
    return undefined;
  }
  for (const key of Object.keys(raw))
    if (!RULE_KEYS.has(key)) add(`${at}.${key}`, `unknown field ${JSON.stringify(key)}; a rule has source or sources, target, transforms`);

  const sources: CompiledSource[] = [];
  const { source, sources: many, target, transforms } = raw as Record<string, unknown>;
  if (source !== undefined && many !== undefined) add(at, 'has both source and sources; use source for one path, sources for several');
  if (source !== undefined) {
    if (typeof source !== 'string') add(`${at}.source`, 'must be a string');
    else {
      const compiled = compileSource(source, `${at}.source`, problems, index);
      if (compiled) sources.push(compiled);
    }
  }
  if (many !== undefined) {
    if (!Array.isArray(many) || many.length === 0) add(`${at}.sources`, 'must be a non-empty list of paths');
    else
      many.forEach((s, j) => {
        if (typeof s !== 'string') add(`${at}.sources[${j}]`, 'must be a string');
        else {
          const compiled = compileSource(s, `${at}.sources[${j}]`, problems, index);
          if (compiled) sources.push(compiled);
        }
      });
  }

  let targetPath: CompiledPath | undefined;
  if (typeof target !== 'string' || target === '') add(`${at}.target`, 'must be a non-empty path');
  else if (target.startsWith('$target')) add(`${at}.target`, 'must be a path in the output, without "$target"');
  else {
    const problem = pathProblem(target);
    if (problem !== undefined) add(`${at}.target`, problem);
    else targetPath = compilePath(target);
  }

  const compiledTransforms: CompiledTransform[] = [];
  if (transforms !== undefined) {
    if (!Array.isArray(transforms)) add(`${at}.transforms`, 'must be a list');
    else
      transforms.forEach((t, j) => {
        const tat = `${at}.transforms[${j}]`;
        if (!isObject(t)) {
          add(tat, 'must be an object with fn');
          return;
        }
        for (const key of Object.keys(t))
          if (!TRANSFORM_KEYS.has(key)) add(`${tat}.${key}`, `unknown field ${JSON.stringify(key)}; a transform has fn and args`);
        const { transform, problems: argProblems } = compileTransform(t.fn, t.args);
        for (const p of argProblems) add(`${tat}.${p.path}`, p.message);
        if (transform) compiledTransforms.push(transform);
      });
  }

  if (problems.length > before || targetPath === undefined) return undefined;
  const maxSourceWildcards = sources.reduce((m, s) => Math.max(m, s.path.wildcards), 0);
  const align = Math.min(targetPath.wildcards, maxSourceWildcards);
  const first = sources[0];
  return {
    index,
    sources,
    multi: many !== undefined,
    target: targetPath,
    align,
    transforms: compiledTransforms,
    async: compiledTransforms.some((t) => t.async),
    recordPath:
      first !== undefined && align > 0 && first.path.wildcards > 0
        ? pathThroughWildcard(first.path, Math.min(align, first.path.wildcards))
        : undefined,
    recordFromTarget: first?.fromTarget ?? false,
  };
}

/** Compiles the map's own settings (everything but the rules). */
export function compileSettings(
  raw: Record<string, unknown>,
  problems: MapProblem[],
): Omit<CompiledMap, 'rules' | 'async' | 'emptyOutput'> {
  const settings = {
    wrapInput: undefined as string | undefined,
    wrapOutput: undefined as string | undefined,
    outputFormat: 'json' as PayloadFormat,
  };
  for (const key of ['wrap_input', 'wrap_output'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') problems.push({ rule: null, path: key, message: 'must be a non-empty key' });
    else if (key === 'wrap_input') settings.wrapInput = value;
    else settings.wrapOutput = value;
  }
  const format = raw.output_format;
  if (format !== undefined) {
    if (typeof format !== 'string' || !OUTPUT_FORMATS.includes(format))
      problems.push({ rule: null, path: 'output_format', message: `must be one of ${OUTPUT_FORMATS.join(', ')}` });
    else settings.outputFormat = format as PayloadFormat;
  }
  return settings;
}

export function emptyOutputFor(rules: readonly CompiledRule[]): 'list' | 'object' {
  const first = rules[0]?.target.segments[0];
  return first !== undefined && (first.kind === 'wildcard' || first.index >= 0) ? 'list' : 'object';
}

/** Compiles a whole config, collecting every problem. */
export function compileMapConfigChecked(config: unknown): { compiled?: CompiledMap; problems: MapProblem[] } {
  const problems: MapProblem[] = [];
  if (!isObject(config)) return { problems: [{ rule: null, path: '', message: 'must be an object with rules' }] };
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key))
      problems.push({
        rule: null,
        path: key,
        message: `unknown field ${JSON.stringify(key)}; map takes rules, wrap_input, wrap_output, output_format`,
      });
  }
  const settings = compileSettings(config, problems);
  const rawRules = config.rules;
  const rules: CompiledRule[] = [];
  if (!Array.isArray(rawRules) || rawRules.length === 0)
    problems.push({ rule: null, path: 'rules', message: 'must be a non-empty list of rules' });
  else
    rawRules.forEach((raw, i) => {
      const rule = compileRule(raw, i, problems);
      if (rule) rules.push(rule);
    });
  if (problems.length > 0) return { problems };
  return { compiled: { ...settings, rules, async: rules.some((r) => r.async), emptyOutput: emptyOutputFor(rules) }, problems };
}

// Configs come from a version's definition, which the run loop keeps for the whole run, so the
// same object is compiled once however many payloads and runs pass through.
const compiledConfigs = new WeakMap<object, CompiledMap | AppError>();

/** The compiled config, cached by config object; throws AppError MAP_ERROR listing the problems of an invalid one. */
export function compileMapConfig(config: MapConfig | Record<string, unknown>): CompiledMap {
  let entry = compiledConfigs.get(config);
  if (entry === undefined) {
    const { compiled, problems } = compileMapConfigChecked(config);
    entry = compiled ?? invalidConfigError(problems);
    compiledConfigs.set(config, entry);
  }
  if (entry instanceof AppError) throw entry;
  return entry;
}

function invalidConfigError(problems: MapProblem[]): AppError {
  // A Map first: paths hold user keys, and a `__proto__` key must not reach a prototype.
  const byPath = new Map<string, string[]>();
  for (const p of problems) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p.message]);
  const details = Object.fromEntries(byPath);
  const shown = problems
    .slice(0, 3)
    .map((p) => `${p.path} ${p.message}`)
    .join('; ');
  return new AppError(
    'MAP_ERROR',
    `the map config is not valid: ${shown}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`,
    { details },
  );
}
