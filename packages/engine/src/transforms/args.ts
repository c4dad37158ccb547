import type { ArgProblem, ArgSpec, TransformApply, TransformArgs, TransformCategory, TransformDef } from './types.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeProblem(spec: ArgSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (spec.nonEmpty && value === '') return 'must not be empty';
      if (spec.oneOf && !spec.oneOf.includes(value)) return `must be one of ${spec.oneOf.join(', ')}`;
      return undefined;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (spec.type === 'integer' && !Number.isInteger(value)) return 'must be an integer';
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string[]':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return 'must be a list of strings';
      if (spec.nonEmpty && value.length === 0) return 'must not be empty';
      return undefined;
    case 'any':
      return value === undefined ? 'is required' : undefined;
  }
}

interface TransformSpec {
  category: TransformCategory;
  description: string;
  args?: Record<string, ArgSpec>;
  acceptsMissing?: boolean;
  async?: boolean;
  /** Checks beyond the argument types (a regex that compiles, a known time zone); runs once the types are right. */
  check?(args: TransformArgs): ArgProblem[];
  compile(args: TransformArgs): TransformApply;
}

/** Builds a TransformDef whose validator checks the declared arguments: unknown names, required ones, types. */
export function defineTransform(name: string, spec: TransformSpec): TransformDef {
  const argSpecs = spec.args ?? {};
  const known = Object.keys(argSpecs);
  return {
    category: spec.category,
    description: spec.description,
    args: argSpecs,
    acceptsMissing: spec.acceptsMissing ?? false,
    async: spec.async ?? false,
    validate(args: unknown): ArgProblem[] {
      if (args === undefined) args = {};
      if (!isPlainObject(args)) return [{ path: 'args', message: 'must be an object' }];
      const problems: ArgProblem[] = [];
      for (const key of Object.keys(args)) {
        if (!Object.hasOwn(argSpecs, key)) {
          const accepted = known.length === 0 ? `${name} takes no arguments` : `${name} takes ${known.join(', ')}`;
          problems.push({ path: `args.${key}`, message: `is not an argument of ${name}; ${accepted}` });
        }
      }
      for (const [key, argSpec] of Object.entries(argSpecs)) {
        const value = Object.hasOwn(args, key) ? args[key] : undefined;
        if (value === undefined) {
          if (argSpec.required) problems.push({ path: `args.${key}`, message: 'is required' });
          continue;
        }
        const problem = typeProblem(argSpec, value);
        if (problem !== undefined) problems.push({ path: `args.${key}`, message: problem });
      }
      if (problems.length === 0 && spec.check) problems.push(...spec.check(args));
      return problems;
    },
    compile: spec.compile,
  };
}

/** An argument's value, or the fallback when it is absent. */
export function arg<T>(args: TransformArgs, name: string, fallback: T): T {
  const value = Object.hasOwn(args, name) ? args[name] : undefined;
  return value === undefined ? fallback : (value as T);
}
