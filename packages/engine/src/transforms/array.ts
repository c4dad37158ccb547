import { type CompiledPath, compilePath, getOne, pathProblem } from '../paths/index.js';
import { arg, defineTransform } from './args.js';
import { joinValues } from './string.js';
import type { TransformDef } from './types.js';
import { asNumber, cleanFloat } from './values.js';

/*
 * List transforms take the rule's list: `sources[]`, or a `*` source feeding a target with fewer
 * `*` (e.g. `*.lines.*.qty` → `*.totalQty`). A single value counts as a list of one.
 */

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function sameKey(value: unknown): unknown {
  // Structures compare by content; primitives by value and type, so 1 and "1" stay distinct.
  return typeof value === 'object' && value !== null ? `\u0000${JSON.stringify(value)}` : value;
}

function compare(a: unknown, b: unknown): number {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  // Numbers before anything else, so a mixed list still has one consistent order.
  const aNumber = typeof a === 'number';
  const bNumber = typeof b === 'number';
  if (aNumber && bNumber) return (a as number) - (b as number);
  if (aNumber !== bNumber) return aNumber ? -1 : 1;
  const as = typeof a === 'object' ? JSON.stringify(a) : String(a);
  const bs = typeof b === 'object' ? JSON.stringify(b) : String(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

export const ARRAY_TRANSFORMS: Record<string, TransformDef> = {
  join: defineTransform('join', {
    category: 'array',
    description: 'Joins a list into text; missing elements become empty text.',
    args: { separator: { type: 'string', description: 'Put between the elements; default ",".' } },
    compile: (args) => {
      const separator = arg<string>(args, 'separator', ',');
      return (v) => joinValues(asList(v), separator, false);
    },
  }),
  first: defineTransform('first', {
    category: 'array',
    description: 'The first element of a list.',
    compile: () => (v) => (Array.isArray(v) ? v[0] : v),
  }),
  last: defineTransform('last', {
    category: 'array',
    description: 'The last element of a list.',
    compile: () => (v) => (Array.isArray(v) ? v[v.length - 1] : v),
  }),
  count: defineTransform('count', {
    category: 'array',
    description: 'How many elements a list has (0 when the value is missing).',
    acceptsMissing: true,
    compile: () => (v) => (Array.isArray(v) ? v.length : v === undefined || v === null ? 0 : 1),
  }),
  sum: defineTransform('sum', {
    category: 'array',
    description: 'Adds up a list of numbers (text that reads as a number counts; missing elements are skipped).',
    compile: () => (v) => {
      let total = 0;
      for (const item of asList(v)) {
        if (item === undefined || item === null) continue;
        total += asNumber('sum', item);
      }
      return cleanFloat(total);
    },
  }),
  unique: defineTransform('unique', {
    category: 'array',
    description: 'Removes repeated elements, keeping the first of each.',
    compile: () => (v) => {
      if (!Array.isArray(v)) return v;
      const seen = new Set<unknown>();
      const out: unknown[] = [];
      for (const item of v) {
        const key = sameKey(item);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(item);
      }
      return out;
    },
  }),
  sort: defineTransform('sort', {
    category: 'array',
    description: 'Sorts a list: numbers by value and first, anything else as text; missing elements last.',
    args: {
      order: { type: 'string', oneOf: ['asc', 'desc'], description: 'Default asc.' },
      by: { type: 'string', nonEmpty: true, description: 'For a list of objects: the dot path to sort by.' },
    },
    check: (args) => {
      const by = arg<string | undefined>(args, 'by', undefined);
      if (by === undefined) return [];
      const problem = pathProblem(by);
      if (problem !== undefined) return [{ path: 'args.by', message: problem }];
      return compilePath(by).wildcards > 0 ? [{ path: 'args.by', message: 'cannot contain *' }] : [];
    },
    compile: (args) => {
      const descending = arg<string>(args, 'order', 'asc') === 'desc';
      const byText = arg<string | undefined>(args, 'by', undefined);
      const by: CompiledPath | undefined = byText === undefined ? undefined : compilePath(byText);
      return (v) => {
        if (!Array.isArray(v)) return v;
        const keyed = v.map((item, index) => ({ item, key: by === undefined ? item : getOne(item, by), index }));
        keyed.sort((a, b) => {
          const c = compare(a.key, b.key);
          // Missing keys stay last in both orders; ties keep their original order.
          const missing = a.key === undefined || a.key === null || b.key === undefined || b.key === null;
          return (descending && !missing ? -c : c) || a.index - b.index;
        });
        return keyed.map((k) => k.item);
      };
    },
  }),
};
