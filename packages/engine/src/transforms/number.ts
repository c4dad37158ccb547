import { arg, defineTransform } from './args.js';
import type { ArgSpec, TransformDef } from './types.js';
import { asNumber, cleanFloat, eachValue, mapError, parseNumber, roundTo, showValue } from './values.js';

const PLACES: ArgSpec = { type: 'integer', min: -15, max: 15, description: 'Decimal places; default 0.' };

function arithmetic(name: string, verb: string, op: (a: number, b: number) => number): TransformDef {
  return defineTransform(name, {
    category: 'number',
    description: `${verb} a number (text that reads as a number is read first).`,
    args: { by: { type: 'number', required: true, description: 'The other operand.' } },
    check: (args) => (name === 'divide' && args.by === 0 ? [{ path: 'args.by', message: 'must not be 0' }] : []),
    compile: (args) => {
      const by = arg(args, 'by', 0);
      return eachValue((v) => cleanFloat(op(asNumber(name, v), by)));
    },
  });
}

function rounding(name: 'round' | 'floor' | 'ceil', description: string): TransformDef {
  return defineTransform(name, {
    category: 'number',
    description,
    args: { places: PLACES },
    compile: (args) => {
      const places = arg(args, 'places', 0);
      return eachValue((v) => roundTo(asNumber(name, v), places, name));
    },
  });
}

export const NUMBER_TRANSFORMS: Record<string, TransformDef> = {
  to_number: defineTransform('to_number', {
    category: 'number',
    description: 'Reads a number from text ("12.50", "1,234.5"); empty text gives null; true and false give 1 and 0.',
    args: { decimal_separator: { type: 'string', oneOf: ['.', ','], description: 'The decimal separator of the text; default ".".' } },
    compile: (args) => {
      const decimal = arg<'.' | ','>(args, 'decimal_separator', '.');
      return eachValue((v) => {
        if (typeof v === 'number') return v;
        if (typeof v === 'boolean') return v ? 1 : 0;
        if (typeof v === 'string') {
          if (v.trim() === '') return null;
          const n = parseNumber(v, decimal);
          if (n !== undefined) return n;
        }
        throw mapError(`to_number cannot read ${showValue(v)} as a number`);
      });
    },
  }),
  add: arithmetic('add', 'Adds to', (a, b) => a + b),
  subtract: arithmetic('subtract', 'Subtracts from', (a, b) => a - b),
  multiply: arithmetic('multiply', 'Multiplies', (a, b) => a * b),
  divide: arithmetic('divide', 'Divides', (a, b) => a / b),
  round: rounding('round', 'Rounds half away from zero to a number of decimal places.'),
  floor: rounding('floor', 'Rounds down to a number of decimal places.'),
  ceil: rounding('ceil', 'Rounds up to a number of decimal places.'),
  format_number: defineTransform('format_number', {
    category: 'number',
    description: 'Writes a number as text with fixed decimals and separators ("1,234.50").',
    args: {
      places: { type: 'integer', min: 0, max: 15, description: 'Decimal places; default as many as the number has.' },
      decimal_separator: { type: 'string', description: 'Default ".".' },
      thousands_separator: { type: 'string', description: 'Default "" (none).' },
    },
    compile: (args) => {
      const places = arg<number | undefined>(args, 'places', undefined);
      const decimal = arg(args, 'decimal_separator', '.');
      const thousands = arg(args, 'thousands_separator', '');
      return eachValue((v) => {
        const n = asNumber('format_number', v);
        const fixed = places === undefined ? String(n) : roundTo(n, places).toFixed(places);
        if (fixed.includes('e')) return fixed; // beyond 1e21: no sensible digit grouping
        const negative = fixed.startsWith('-');
        const [whole = '', fraction] = (negative ? fixed.slice(1) : fixed).split('.');
        const grouped = thousands === '' ? whole : whole.replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
        return (negative ? '-' : '') + grouped + (fraction === undefined ? '' : decimal + fraction);
      });
    },
  }),
};
