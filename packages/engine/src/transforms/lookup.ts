import { defineTransform } from './args.js';
import type { LookupDirection } from './lookup-index.js';
import type { TransformDef } from './types.js';
import { eachValue, mapError, showValue } from './values.js';

const DIRECTIONS = ['left_to_right', 'right_to_left'] as const;
const ON_MISS = ['keep', 'default', 'empty', 'fail'] as const;

/**
 * `lookup` (spec/flows.md §4): the value's counterpart in a company's cross-reference lookup
 * table (/api/v1/lookup-tables). The map shape loads the tables its rules name before they run,
 * so the lookup itself is synchronous.
 */
export const LOOKUP_TRANSFORMS: Record<string, TransformDef> = {
  lookup: defineTransform('lookup', {
    category: 'other',
    description:
      'The value found in a cross-reference lookup table: its right value for a left one (left_to_right) or the reverse; a list looks up each element.',
    args: {
      table: { type: 'string', required: true, nonEmpty: true, description: 'The name of a lookup table of the company.' },
      direction: {
        type: 'string',
        oneOf: DIRECTIONS,
        description:
          'left_to_right (default): find the value among left values, give the right one; right_to_left: the reverse (first row wins).',
      },
      on_miss: {
        type: 'string',
        oneOf: ON_MISS,
        description: 'When the value is not in the table: keep it (default), use `default`, give empty text, or fail the step.',
      },
      default: { type: 'any', description: 'The value given on a miss when on_miss is default.' },
      ignore_case: { type: 'boolean', description: 'Compare ignoring upper and lower case (default false).' },
    },
    check: (args) => {
      if (args.on_miss === 'default' && args.default === undefined)
        return [{ path: 'args.default', message: 'is required when on_miss is default' }];
      if (args.on_miss !== 'default' && args.default !== undefined) {
        return [{ path: 'args.default', message: 'is only used when on_miss is default; set on_miss to default or remove it' }];
      }
      return [];
    },
    compile: (args) => {
      const table = args.table as string;
      const direction = (args.direction ?? 'left_to_right') as LookupDirection;
      const onMiss = (args.on_miss ?? 'keep') as (typeof ON_MISS)[number];
      const fallback = args.default;
      const ignoreCase = args.ignore_case === true;
      const side = direction === 'left_to_right' ? 'left' : 'right';
      return eachValue((value, ctx) => {
        if (ctx.lookupTable === undefined) throw mapError('lookup tables cannot be read here; run the map in a flow or the map preview');
        const index = ctx.lookupTable(table);
        if (index === undefined) {
          throw mapError(
            `lookup table ${JSON.stringify(table)} does not exist in this company; create it under /api/v1/lookup-tables or correct args.table`,
          );
        }
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          throw mapError(`lookup needs text, a number or true/false, got ${showValue(value)}`);
        }
        const found = index.find(String(value), direction, ignoreCase);
        if (found !== undefined) return found;
        switch (onMiss) {
          case 'keep':
            return value;
          case 'default':
            return fallback;
          case 'empty':
            return '';
          case 'fail':
            throw mapError(`lookup: ${showValue(value)} is not a ${side} value of table ${JSON.stringify(table)} (on_miss is fail)`);
        }
      });
    },
  }),
};
