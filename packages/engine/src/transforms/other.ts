import jsonata from 'jsonata';
import { assignKey } from '../paths/index.js';
import { arg, defineTransform } from './args.js';
import type { TransformDef } from './types.js';
import { mapError, showValue } from './values.js';

const TRUE_WORDS = ['true', 'yes', 'y', '1', 'on'];
const FALSE_WORDS = ['false', 'no', 'n', '0', 'off'];

// An expression runs inside the worker's event loop; these bound a runaway one (deep recursion, a
// loop that never ends, a range of billions) instead of letting it stall every run on the worker.
const EXPRESSION_LIMITS = { timeout: 1_000, stack: 1_000, sequence: 1_000_000 };

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

interface JsonataFailure {
  message?: string;
  code?: string;
  position?: number;
}

function describeJsonataError(err: unknown): string {
  const e = err as JsonataFailure;
  const where = typeof e.position === 'number' ? ` at position ${e.position}` : '';
  return `${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}${where}`;
}

/**
 * JSONata hands back its own sequence arrays, and builds objects by assignment, so a `__proto__`
 * key in an object constructor reaches that object's prototype. Rebuilding the result as plain
 * lists and objects (own keys only, defined as data) keeps later steps on ordinary JSON.
 */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, plain);
  if (typeof value === 'function') return undefined; // a lambda has no JSON form
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) assignKey(out, key, plain((value as Record<string, unknown>)[key]));
  return out;
}

export const OTHER_TRANSFORMS: Record<string, TransformDef> = {
  default: defineTransform('default', {
    category: 'other',
    description: 'A value to use when the value is missing, null, empty text or an empty list.',
    acceptsMissing: true,
    args: { value: { type: 'any', required: true, description: 'The value to use instead.' } },
    compile: (args) => {
      const fallback = args.value;
      return (v) => (isEmpty(v) ? fallback : v);
    },
  }),
  constant: defineTransform('constant', {
    category: 'other',
    description: 'Always this value, whatever the source holds.',
    acceptsMissing: true,
    args: { value: { type: 'any', required: true, description: 'The value.' } },
    compile: (args) => {
      const value = args.value;
      return () => value;
    },
  }),
  to_boolean: defineTransform('to_boolean', {
    category: 'other',
    description: `Reads true or false from words (case and surrounding spaces ignored; default true: ${TRUE_WORDS.join(', ')}; false: ${FALSE_WORDS.join(', ')}).`,
    args: {
      true_values: { type: 'string[]', nonEmpty: true, description: 'Words that mean true.' },
      false_values: { type: 'string[]', nonEmpty: true, description: 'Words that mean false.' },
      default: { type: 'boolean', description: 'The result for any other word; without it, another word is an error.' },
    },
    check: (args) => {
      const trues = new Set(arg(args, 'true_values', TRUE_WORDS).map((w) => w.trim().toLowerCase()));
      const both = arg(args, 'false_values', FALSE_WORDS).filter((w) => trues.has(w.trim().toLowerCase()));
      return both.length === 0 ? [] : [{ path: 'args.false_values', message: `${JSON.stringify(both[0])} is also in true_values` }];
    },
    compile: (args) => {
      const trues = new Set(arg(args, 'true_values', TRUE_WORDS).map((w) => w.trim().toLowerCase()));
      const falses = new Set(arg(args, 'false_values', FALSE_WORDS).map((w) => w.trim().toLowerCase()));
      const fallback = arg<boolean | undefined>(args, 'default', undefined);
      const read = (v: unknown): boolean => {
        if (typeof v === 'boolean') return v;
        if (typeof v === 'string' || typeof v === 'number') {
          const word = String(v).trim().toLowerCase();
          if (trues.has(word)) return true;
          if (falses.has(word)) return false;
        }
        if (fallback !== undefined) return fallback;
        throw mapError(
          `to_boolean cannot read ${showValue(v)} as true or false; true: ${[...trues].join(', ')}; false: ${[...falses].join(', ')}`,
        );
      };
      return (v) => (Array.isArray(v) ? v.map((item) => (item === undefined || item === null ? item : read(item))) : read(v));
    },
  }),
  expression: defineTransform('expression', {
    category: 'other',
    description:
      'A JSONata expression (https://jsonata.org): `$` is the value; $record is the element being mapped, $input the whole document, $flow the flow variables, $meta the meta.',
    acceptsMissing: true,
    async: true,
    args: { expression: { type: 'string', required: true, nonEmpty: true, description: 'The JSONata expression.' } },
    check: (args) => {
      try {
        jsonata(arg(args, 'expression', ''));
        return [];
      } catch (err) {
        return [{ path: 'args.expression', message: `is not valid JSONata: ${describeJsonataError(err)}` }];
      }
    },
    compile: (args) => {
      const expression = jsonata(arg(args, 'expression', ''), EXPRESSION_LIMITS);
      return async (v, ctx) => {
        try {
          const result = await expression.evaluate(v, { record: ctx.record(), input: ctx.input(), flow: ctx.variables, meta: ctx.meta });
          return plain(result);
        } catch (err) {
          throw mapError(`expression failed on ${showValue(v)}: ${describeJsonataError(err)}`, err);
        }
      };
    },
  }),
};
