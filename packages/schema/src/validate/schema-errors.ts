import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { childPath, quote } from './field-path.js';

/** One problem found by a schema, at a path in the `rules[0].target` form. */
export interface SchemaProblem {
  path: string;
  message: string;
}

interface Checker {
  check(value: unknown): boolean;
  errors(value: unknown): Iterable<ValueError>;
}

const checkers = new WeakMap<TSchema, Checker>();

function checkerFor(schema: TSchema): Checker {
  let checker = checkers.get(schema);
  if (checker !== undefined) return checker;
  try {
    const compiled = TypeCompiler.Compile(schema);
    checker = { check: (value) => compiled.Check(value), errors: (value) => compiled.Errors(value) };
  } catch {
    // The compiler generates code with `new Function`; a page whose Content-Security-Policy forbids
    // that (the dashboard may run under one) still validates, through the slower interpreter.
    checker = { check: (value) => Value.Check(schema, value), errors: (value) => Value.Errors(schema, value) };
  }
  checkers.set(schema, checker);
  return checker;
}

/**
 * Checks `value` against a TypeBox schema and returns every problem with a readable message and a
 * field path under `basePath`. The schema is compiled once and reused.
 *
 * A schema may carry `errorMessage: string` to replace the generic message of its own constraint
 * failures (pattern, length, range), e.g. `must be an absolute http(s) URL`.
 */
export function schemaProblems(schema: TSchema, value: unknown, basePath = ''): SchemaProblem[] {
  const checker = checkerFor(schema);
  if (checker.check(value)) return [];
  const raw: RawProblem[] = [];
  for (const error of checker.errors(value)) collect(error, raw);
  return tidy(raw).map(({ pointer, message }) => ({ path: toFieldPath(pointer, value, basePath), message }));
}

interface RawProblem {
  pointer: string;
  message: string;
  type: ValueErrorType;
}

function collect(error: ValueError, out: RawProblem[]): void {
  if (error.type === ValueErrorType.Union) {
    collectUnion(error, out);
    return;
  }
  out.push({ pointer: error.path, message: describe(error), type: error.type });
}

function constOf(schema: unknown): { found: boolean; value?: unknown } {
  if (typeof schema === 'object' && schema !== null && 'const' in schema) return { found: true, value: schema.const };
  return { found: false };
}

function collectUnion(error: ValueError, out: RawProblem[]): void {
  const variants: unknown[] = Array.isArray(error.schema.anyOf) ? error.schema.anyOf : [];
  const consts = variants.map(constOf);
  if (variants.length > 0 && consts.every((c) => c.found)) {
    out.push({ pointer: error.path, message: `must be one of ${consts.map((c) => show(c.value)).join(', ')}`, type: error.type });
    return;
  }
  // For a union of object forms ({source} | {sources}), the useful message is what is wrong with
  // the form the value was clearly meant to be, not that it matches none of them.
  const candidates: { problems: RawProblem[]; discriminatorMisses: number }[] = [];
  for (const iterator of error.errors) {
    const problems: RawProblem[] = [];
    for (const inner of iterator) collect(inner, problems);
    const wrongType = problems.some((p) => p.pointer === error.path && TYPE_ERRORS.has(p.type));
    if (wrongType) continue;
    const discriminatorMisses = problems.filter((p) => p.type === ValueErrorType.Literal && isChildOf(p.pointer, error.path)).length;
    candidates.push({ problems, discriminatorMisses });
  }
  candidates.sort((a, b) => a.discriminatorMisses - b.discriminatorMisses || a.problems.length - b.problems.length);
  const best = candidates[0];
  if (best !== undefined && best.problems.length > 0) {
    out.push(...best.problems);
    return;
  }
  out.push({ pointer: error.path, message: `must be ${variants.map(noun).join(' or ')}`, type: error.type });
}

function isChildOf(pointer: string, parent: string): boolean {
  return pointer.startsWith(`${parent}/`) && !pointer.slice(parent.length + 1).includes('/');
}

const TYPE_ERRORS = new Set<ValueErrorType>([
  ValueErrorType.Array,
  ValueErrorType.Boolean,
  ValueErrorType.Integer,
  ValueErrorType.Literal,
  ValueErrorType.Null,
  ValueErrorType.Number,
  ValueErrorType.Object,
  ValueErrorType.String,
  ValueErrorType.Union,
]);

/** "a string", "an array", … for "must be a string or an array". */
function noun(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return 'valid';
  const s = schema as Record<string, unknown>;
  if ('const' in s) return show(s.const);
  if (Array.isArray(s.anyOf)) return s.anyOf.map(noun).join(' or ');
  switch (s.type) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'integer':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return 'valid';
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value) ?? String(value);
}

function lastKey(pointer: string): string {
  const segment = pointer.slice(pointer.lastIndexOf('/') + 1);
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function describe(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      // A record whose keys must match a pattern (header names) has no "unknown" fields, only
      // badly formed names.
      if (typeof schema.patternProperties === 'object' && schema.patternProperties !== null) {
        if (typeof schema.errorMessage === 'string') return schema.errorMessage;
        const [pattern] = Object.keys(schema.patternProperties);
        return `name ${quote(lastKey(error.path))} is not allowed; names must match ${pattern}`;
      }
      return `unknown field ${quote(lastKey(error.path))}`;
    case ValueErrorType.IntersectUnevaluatedProperties:
      return `unknown field ${quote(lastKey(error.path))}`;
  }
  // A custom message explains a constraint; a value of the wrong type is still told so plainly.
  if (typeof schema.errorMessage === 'string' && !TYPE_ERRORS.has(error.type)) return schema.errorMessage;
  switch (error.type) {
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Number:
      return 'must be a number';
    case ValueErrorType.Integer:
      return 'must be an integer';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.Array:
      return 'must be an array';
    case ValueErrorType.Null:
      return 'must be null';
    case ValueErrorType.Literal:
      return `must be ${show(schema.const)}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters`;
    case ValueErrorType.StringPattern:
      return `must match the pattern ${schema.pattern}`;
    case ValueErrorType.StringFormat:
    case ValueErrorType.StringFormatUnknown:
      return `must be a valid ${schema.format}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${schema.minimum}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${schema.maximum}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be greater than ${schema.exclusiveMinimum}`;
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `must be less than ${schema.exclusiveMaximum}`;
    case ValueErrorType.NumberMultipleOf:
    case ValueErrorType.IntegerMultipleOf:
      return `must be a multiple of ${schema.multipleOf}`;
    case ValueErrorType.ArrayMinItems:
      return schema.minItems === 1 ? 'must not be empty' : `must have at least ${schema.minItems} items`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${schema.maxItems} items`;
    case ValueErrorType.ArrayUniqueItems:
      return 'must not contain duplicate items';
    case ValueErrorType.ObjectMinProperties:
      return `must have at least ${schema.minProperties} fields`;
    case ValueErrorType.ObjectMaxProperties:
      return `must have at most ${schema.maxProperties} fields`;
    case ValueErrorType.Never:
    case ValueErrorType.Not:
    case ValueErrorType.Undefined:
    case ValueErrorType.Void:
      return 'is not allowed';
    default:
      return 'is not valid';
  }
}

/**
 * Drops the noise TypeBox adds around a real problem: a missing property is also reported as the
 * wrong type, and an intersection repeats a summary after its members' own errors.
 */
function tidy(problems: RawProblem[]): RawProblem[] {
  const required = new Set(problems.filter((p) => p.type === ValueErrorType.ObjectRequiredProperty).map((p) => p.pointer));
  const seen = new Set<string>();
  const out: RawProblem[] = [];
  for (const problem of problems) {
    if (problem.type !== ValueErrorType.ObjectRequiredProperty && required.has(problem.pointer)) continue;
    if (
      problem.type === ValueErrorType.Intersect &&
      problems.some((p) => p !== problem && (p.pointer === problem.pointer || p.pointer.startsWith(`${problem.pointer}/`)))
    ) {
      continue;
    }
    const key = `${problem.pointer}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

/**
 * `/rules/0/target` → `rules[0].target`. The value is walked alongside so that a numeric key of an
 * object (`headers["0"]`) is not mistaken for an array index.
 */
function toFieldPath(pointer: string, root: unknown, basePath: string): string {
  if (pointer === '') return basePath;
  let path = basePath;
  let current: unknown = root;
  for (const escaped of pointer.slice(1).split('/')) {
    const key = escaped.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current) && /^(0|[1-9][0-9]*)$/.test(key)) {
      path = childPath(path, Number(key));
      current = current[Number(key)];
    } else {
      path = childPath(path, key);
      current =
        typeof current === 'object' && current !== null && Object.hasOwn(current, key)
          ? (current as Record<string, unknown>)[key]
          : undefined;
    }
  }
  return path;
}
