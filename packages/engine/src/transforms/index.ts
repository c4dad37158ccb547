import { ARRAY_TRANSFORMS } from './array.js';
import { CACHE_LOOKUP_TRANSFORMS } from './cache-lookup.js';
import { DATE_TRANSFORMS } from './date.js';
import { LOOKUP_TRANSFORMS } from './lookup.js';
import { NUMBER_TRANSFORMS } from './number.js';
import { OTHER_TRANSFORMS } from './other.js';
import { SCRIPT_TRANSFORMS } from './script.js';
import { STRING_TRANSFORMS } from './string.js';
import type { ArgProblem, TransformApply, TransformDef } from './types.js';

export { type LookupDirection, LookupIndex, type LookupIndexRow } from './lookup-index.js';
export type {
  ArgProblem,
  ArgSpec,
  ScriptCall,
  TransformApply,
  TransformArgs,
  TransformCategory,
  TransformContext,
  TransformDef,
} from './types.js';

/**
 * The transform library of spec/flows.md §4, by name. Its keys are exactly TRANSFORM_NAMES of
 * @weft/schema (shapes/transform-names.ts); a test holds the two together.
 */
export const TRANSFORMS: Readonly<Record<string, TransformDef>> = Object.freeze(
  Object.assign(
    Object.create(null) as Record<string, TransformDef>,
    STRING_TRANSFORMS,
    NUMBER_TRANSFORMS,
    DATE_TRANSFORMS,
    ARRAY_TRANSFORMS,
    OTHER_TRANSFORMS,
    LOOKUP_TRANSFORMS,
    SCRIPT_TRANSFORMS,
    CACHE_LOOKUP_TRANSFORMS,
  ),
);

export function transformDef(name: string): TransformDef | undefined {
  return Object.hasOwn(TRANSFORMS, name) ? TRANSFORMS[name] : undefined;
}

/** A transform ready to apply, with what the map runner needs to know about it. */
export interface CompiledTransform {
  name: string;
  apply: TransformApply;
  acceptsMissing: boolean;
  async: boolean;
}

/**
 * Validates and compiles one `{fn, args}`; problems come back with paths relative to the
 * transform (`fn`, `args.separator`) and no transform.
 */
export function compileTransform(fn: unknown, args: unknown): { transform?: CompiledTransform; problems: ArgProblem[] } {
  if (typeof fn !== 'string') return { problems: [{ path: 'fn', message: 'must be a string' }] };
  const def = transformDef(fn);
  if (def === undefined)
    return {
      problems: [
        { path: 'fn', message: `unknown transform ${JSON.stringify(fn)}; known transforms: ${Object.keys(TRANSFORMS).join(', ')}` },
      ],
    };
  const problems = def.validate(args);
  if (problems.length > 0) return { problems };
  const apply = def.compile((args ?? {}) as Record<string, unknown>);
  return { transform: { name: fn, apply, acceptsMissing: def.acceptsMissing, async: def.async }, problems: [] };
}
