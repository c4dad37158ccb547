import { AppError, isAppError } from '@weft/schema';
import { assignKey, ENSURE, getAt, getMatches, getOne, setPath } from '../../paths/index.js';
import type { LookupIndex, ScriptCall, TransformContext } from '../../transforms/index.js';
import type { CompiledMap, CompiledRule, CompiledSource } from './compile.js';

/** What the rules may read besides the payload. */
export interface MapEnv {
  now(): Date;
  meta: Readonly<Record<string, string>>;
  variables: Readonly<Record<string, string>>;
  run: Readonly<Record<string, string>>;
  /** The lookup tables the rules name, loaded before they run (resources.ts). */
  lookupTable?(name: string): LookupIndex | undefined;
  /** Runs a deployed script for the `script` transform. */
  runScript?(call: ScriptCall): Promise<unknown>;
  /** Reads a named cache for the `cache_lookup` transform. */
  cacheEntry?: TransformContext['cacheEntry'];
}

/** Called for a failed rule instead of throwing (the preview shows every failing rule); the rule's output so far is kept. */
export type RuleErrorHandler = (rule: number, error: AppError) => void;

interface Group {
  /** The positions of the target's aligned `*`. */
  indices: readonly number[];
  value: unknown;
}

const NO_INDICES: readonly number[] = Object.freeze([]);

/**
 * Maps one document. Synchronous unless a rule uses an async transform (expression), so the
 * common case pays for no promises.
 */
export function runRules(map: CompiledMap, document: unknown, env: MapEnv, onError?: RuleErrorHandler): unknown {
  const input = map.wrapInput === undefined ? document : wrap(map.wrapInput, document);
  if (map.async) return runRulesAsync(map, input, env, onError);
  let output: unknown;
  for (const rule of map.rules) {
    try {
      output = evaluateRule(rule, input, output, env);
    } catch (err) {
      if (onError === undefined) throw err;
      onError(rule.index, asAppError(err));
    }
  }
  return finish(map, output);
}

async function runRulesAsync(map: CompiledMap, input: unknown, env: MapEnv, onError?: RuleErrorHandler): Promise<unknown> {
  let output: unknown;
  for (const rule of map.rules) {
    try {
      output = rule.async ? await evaluateRuleAsync(rule, input, output, env) : evaluateRule(rule, input, output, env);
    } catch (err) {
      if (onError === undefined) throw err;
      onError(rule.index, asAppError(err));
    }
  }
  return finish(map, output);
}

function wrap(key: string, value: unknown): Record<string, unknown> {
  const wrapper: Record<string, unknown> = {};
  assignKey(wrapper, key, value);
  return wrapper;
}

function finish(map: CompiledMap, output: unknown): unknown {
  const result = output === undefined ? (map.emptyOutput === 'list' ? [] : {}) : output;
  return map.wrapOutput === undefined ? result : wrap(map.wrapOutput, result);
}

function asAppError(err: unknown): AppError {
  return isAppError(err) ? err : new AppError('MAP_ERROR', (err as Error)?.message ?? String(err), { cause: err });
}

/** The context transforms see; `record` follows the group being evaluated. */
function contextFor(
  rule: CompiledRule,
  input: unknown,
  outputRef: { current: unknown },
  env: MapEnv,
  state: { indices: readonly number[] },
): TransformContext {
  return {
    now: env.now,
    record: () => {
      if (rule.recordPath === undefined) return input;
      return getAt(rule.recordFromTarget ? outputRef.current : input, rule.recordPath, state.indices);
    },
    input: () => input,
    meta: env.meta,
    variables: env.variables,
    run: env.run,
    ...(env.lookupTable && { lookupTable: env.lookupTable }),
    ...(env.runScript && { runScript: env.runScript }),
    ...(env.cacheEntry && { cacheEntry: env.cacheEntry }),
  };
}

function evaluateRule(rule: CompiledRule, input: unknown, output: unknown, env: MapEnv): unknown {
  const groups = collectGroups(rule, input, output);
  const outputRef = { current: output };
  const state = { indices: NO_INDICES };
  const ctx = contextFor(rule, input, outputRef, env, state);
  const { transforms } = rule;
  for (const group of groups) {
    let value = group.value;
    let step = 0;
    try {
      state.indices = group.indices;
      for (; step < transforms.length; step++) {
        const t = transforms[step]!;
        if ((value === undefined || value === null) && !t.acceptsMissing) continue;
        value = t.apply(value, ctx);
      }
      step = -1;
      outputRef.current = write(rule, outputRef.current, group, value);
    } catch (err) {
      throw ruleError(rule, step, group, err);
    }
  }
  return outputRef.current;
}

async function evaluateRuleAsync(rule: CompiledRule, input: unknown, output: unknown, env: MapEnv): Promise<unknown> {
  const groups = collectGroups(rule, input, output);
  const outputRef = { current: output };
  const state = { indices: NO_INDICES };
  const ctx = contextFor(rule, input, outputRef, env, state);
  const { transforms } = rule;
  for (const group of groups) {
    let value = group.value;
    let step = 0;
    try {
      state.indices = group.indices;
      for (; step < transforms.length; step++) {
        const t = transforms[step]!;
        if ((value === undefined || value === null) && !t.acceptsMissing) continue;
        value = t.async ? await t.apply(value, ctx) : t.apply(value, ctx);
      }
      step = -1;
      outputRef.current = write(rule, outputRef.current, group, value);
    } catch (err) {
      throw ruleError(rule, step, group, err);
    }
  }
  return outputRef.current;
}

function write(rule: CompiledRule, output: unknown, group: Group, value: unknown): unknown {
  if (value === undefined) {
    // Nothing to write, but the element keeps its position: record 3 without an email still
    // yields output element 3.
    return rule.align > 0 ? setPath(output, rule.target, ENSURE, group.indices) : output;
  }
  // Structures are copied so the output never shares objects with the input (which other steps
  // may still read) or with another target (which a later rule may write into).
  const owned = typeof value === 'object' && value !== null ? structuredClone(value) : value;
  return setPath(output, rule.target, owned, group.indices);
}

function ruleError(rule: CompiledRule, step: number, group: Group, err: unknown): AppError {
  const cause = asAppError(err);
  const where = step >= 0 ? `rules[${rule.index}].transforms[${step}]` : `rules[${rule.index}].target`;
  const element = group.indices.length > 0 ? ` (element ${group.indices.map((i) => `[${i}]`).join('')})` : '';
  return new AppError(cause.code, `${where}: ${cause.message}${element}`, { cause, details: cause.details });
}

function rootOf(source: CompiledSource, input: unknown, output: unknown): unknown {
  return source.fromTarget ? output : input;
}

/**
 * The rule's values, one per position of the target's aligned `*`:
 * - a source with as many `*` as aligned gives one value per element (undefined where missing);
 * - a source with more gives, per aligned position, the list of what its extra `*` found;
 * - a source with fewer (or none) gives the same value to every position;
 * - `sources[]` gives the list of the sources' values per position.
 */
function collectGroups(rule: CompiledRule, input: unknown, output: unknown): Group[] {
  const { sources, align } = rule;
  const first = sources[0];
  if (first === undefined) return [{ indices: NO_INDICES, value: undefined }];
  if (!rule.multi) {
    const root = rootOf(first, input, output);
    if (first.path.wildcards === 0) return [{ indices: NO_INDICES, value: getOne(root, first.path) }];
    if (first.path.wildcards === align) {
      // The common element-wise case: one value per element, no grouping needed.
      const groups: Group[] = [];
      for (const match of getMatches(root, first.path, true)) if (match.indices.length === align) groups.push(match);
      return groups;
    }
    return [...groupSource(first, align, input, output).values()];
  }
  if (align === 1 && sources.every((s) => s.path.wildcards <= 1)) return collectColumns(sources, input, output);
  const bySource = sources.map((s) => ({ width: Math.min(s.path.wildcards, align), groups: groupSource(s, align, input, output) }));
  const keys = new Map<string | number, readonly number[]>();
  for (const { width, groups } of bySource) {
    if (width !== align) continue;
    for (const [key, group] of groups) if (!keys.has(key)) keys.set(key, group.indices);
  }
  const out: Group[] = [];
  for (const indices of keys.values()) {
    const values = bySource.map(({ width, groups }) => groups.get(keyOf(indices, width))?.value);
    out.push({ indices, value: values });
  }
  return out;
}

/**
 * `sources[]` over one `*` (the usual `*.first_name` + `*.last_name`): columns indexed by element
 * position instead of keyed maps, since this runs for every record.
 */
function collectColumns(sources: readonly CompiledSource[], input: unknown, output: unknown): Group[] {
  const present: boolean[] = [];
  const columns = sources.map((source) => {
    const root = rootOf(source, input, output);
    if (source.path.wildcards === 0) return { same: true, value: getOne(root, source.path), values: [] as unknown[] };
    const values: unknown[] = [];
    for (const match of getMatches(root, source.path, true)) {
      if (match.indices.length !== 1) continue;
      const position = match.indices[0] as number;
      values[position] = match.value;
      present[position] = true;
    }
    return { same: false, value: undefined, values };
  });
  const groups: Group[] = [];
  for (let position = 0; position < present.length; position++) {
    if (!present[position]) continue;
    const value = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      value[c] = column.same ? column.value : column.values[position];
    }
    groups.push({ indices: [position], value });
  }
  return groups;
}

/** A Map key for the first `width` positions; a plain number for the common single `*`. */
function keyOf(indices: readonly number[], width: number): string | number {
  if (width === 0) return '';
  if (width === 1) return indices[0] as number;
  return indices.slice(0, width).join(',');
}

/** One source's values keyed by the positions of its first min(`*`, align) stars. */
function groupSource(source: CompiledSource, align: number, input: unknown, output: unknown): Map<string | number, Group> {
  const root = rootOf(source, input, output);
  const width = Math.min(source.path.wildcards, align);
  const groups = new Map<string | number, Group>();
  if (source.path.wildcards === 0) {
    groups.set('', { indices: NO_INDICES, value: getOne(root, source.path) });
    return groups;
  }
  const collects = source.path.wildcards > width;
  for (const match of getMatches(root, source.path, true)) {
    if (match.indices.length < width) continue;
    const key = keyOf(match.indices, width);
    if (!collects) {
      groups.set(key, match);
      continue;
    }
    let group = groups.get(key);
    if (group === undefined) {
      group = { indices: match.indices.slice(0, width), value: [] };
      groups.set(key, group);
    }
    if (match.value !== undefined) (group.value as unknown[]).push(match.value);
  }
  if (collects && width === 0 && groups.size === 0) groups.set('', { indices: NO_INDICES, value: [] });
  return groups;
}
