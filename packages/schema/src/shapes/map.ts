import { type Static, Type } from '@sinclair/typebox';
import { PAYLOAD_FORMATS } from '../flow.js';
import { unknownName } from '../validate/field-path.js';
import { isTransformName, TRANSFORM_NAMES } from './transform-names.js';

export const MapTransformSchema = Type.Object(
  {
    fn: Type.String({ minLength: 1, description: 'Transform name: uppercase, concat, to_number, format_date, …' }),
    args: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'The transform\'s arguments, e.g. { separator: " " }.' }),
    ),
  },
  { additionalProperties: false },
);

export const MapRuleSchema = Type.Object(
  {
    source: Type.Optional(
      Type.String({ description: 'Dot path in the input (`*` for every array element); `$target.` reads the output built so far.' }),
    ),
    sources: Type.Optional(
      Type.Array(Type.String(), { minItems: 1, description: 'Several paths whose values the transforms receive as one list.' }),
    ),
    target: Type.String({ minLength: 1, description: 'Dot path in the output; `*` keeps the positions of the source elements.' }),
    transforms: Type.Optional(Type.Array(MapTransformSchema, { description: 'Applied in order to the rule value.' })),
  },
  { additionalProperties: false },
);

/** Config of the `map` shape (spec/flows.md §4). */
export const MapConfigSchema = Type.Object(
  {
    rules: Type.Array(MapRuleSchema, { minItems: 1, description: 'Applied in order; later rules may read earlier targets.' }),
    wrap_input: Type.Optional(Type.String({ minLength: 1, description: 'Key to wrap the input under before mapping.' })),
    wrap_output: Type.Optional(Type.String({ minLength: 1, description: 'Key to wrap the output under.' })),
    output_format: Type.Optional(
      Type.Union(
        PAYLOAD_FORMATS.map((f) => Type.Literal(f)),
        { default: 'json', description: 'Format of the mapped payload.' },
      ),
    ),
  },
  { additionalProperties: false },
);

export type MapConfig = Static<typeof MapConfigSchema>;
export type MapRule = Static<typeof MapRuleSchema>;
export type MapTransform = Static<typeof MapTransformSchema>;

/** Rule sources starting with this read the output built by earlier rules. */
export const TARGET_SOURCE_PREFIX = '$target.';

/**
 * What is wrong with a dot path's form, or undefined. Segments are split on unescaped dots (`\.`
 * keeps a dot inside a key); `*` as a whole segment means every element of an array.
 */
export function pathFormProblem(path: string): string | undefined {
  if (path === '') return undefined;
  let segmentLength = 0;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\') {
      if (i === path.length - 1) return 'ends with a lone "\\"; escape a dot as "\\." and a backslash as "\\\\"';
      i++;
      segmentLength++;
    } else if (ch === '.') {
      if (segmentLength === 0) return 'has an empty segment (two dots in a row, or a leading or trailing dot)';
      segmentLength = 0;
    } else segmentLength++;
  }
  return segmentLength === 0 ? 'has an empty segment (two dots in a row, or a leading or trailing dot)' : undefined;
}

/** One problem with a map config that the schema alone cannot express, at a path under the config. */
export interface MapConfigProblem {
  path: string;
  message: string;
}

/**
 * Checks a map config that already satisfies MapConfigSchema for what the schema cannot say:
 * `source` and `sources` together, path forms, unknown transform names. Transform arguments are
 * checked by the engine, which owns the transforms.
 */
export function mapConfigProblems(config: MapConfig): MapConfigProblem[] {
  const problems: MapConfigProblem[] = [];
  config.rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (rule.source !== undefined && rule.sources !== undefined) {
      problems.push({ path: at, message: 'has both source and sources; use source for one path, sources for several' });
    }
    const sourcePaths: [string, string][] = [];
    if (rule.source !== undefined) sourcePaths.push([`${at}.source`, rule.source]);
    rule.sources?.forEach((s, j) => {
      sourcePaths.push([`${at}.sources[${j}]`, s]);
    });
    for (const [path, source] of sourcePaths) {
      const bare = source.startsWith(TARGET_SOURCE_PREFIX) ? source.slice(TARGET_SOURCE_PREFIX.length) : source;
      const problem = pathFormProblem(bare);
      if (problem !== undefined) problems.push({ path, message: problem });
    }
    const targetProblem = rule.target.startsWith('$target')
      ? 'must be a path in the output, without "$target"'
      : pathFormProblem(rule.target);
    if (targetProblem !== undefined) problems.push({ path: `${at}.target`, message: targetProblem });
    rule.transforms?.forEach((t, j) => {
      if (!isTransformName(t.fn))
        problems.push({ path: `${at}.transforms[${j}].fn`, message: unknownName('transform', t.fn, TRANSFORM_NAMES) });
    });
  });
  return problems;
}
