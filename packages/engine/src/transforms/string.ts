import { renderTemplate, templateProblems } from '../templates/index.js';
import { arg, defineTransform } from './args.js';
import type { TransformDef } from './types.js';
import { asText, eachValue } from './values.js';

/** Text of each present value, for transforms that combine several (concat, join). */
export function joinValues(values: readonly unknown[], separator: string, skipMissing: boolean): string {
  let out = '';
  let first = true;
  for (const v of values) {
    if (skipMissing && (v === undefined || v === null)) continue;
    const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    out += first ? text : separator + text;
    first = false;
  }
  return out;
}

const SURROGATE = /[\ud800-\udfff]/;

export const STRING_TRANSFORMS: Record<string, TransformDef> = {
  uppercase: defineTransform('uppercase', {
    category: 'string',
    description: 'Upper-cases text.',
    compile: () => eachValue((v) => asText('uppercase', v).toUpperCase()),
  }),
  lowercase: defineTransform('lowercase', {
    category: 'string',
    description: 'Lower-cases text.',
    compile: () => eachValue((v) => asText('lowercase', v).toLowerCase()),
  }),
  trim: defineTransform('trim', {
    category: 'string',
    description: 'Removes leading and trailing white space.',
    compile: () => eachValue((v) => asText('trim', v).trim()),
  }),
  prefix: defineTransform('prefix', {
    category: 'string',
    description: 'Puts text in front of the value.',
    args: { value: { type: 'string', required: true, description: 'The text to put in front.' } },
    compile: (args) => {
      const prefix = arg(args, 'value', '');
      return eachValue((v) => prefix + asText('prefix', v));
    },
  }),
  suffix: defineTransform('suffix', {
    category: 'string',
    description: 'Puts text after the value.',
    args: { value: { type: 'string', required: true, description: 'The text to put after.' } },
    compile: (args) => {
      const suffix = arg(args, 'value', '');
      return eachValue((v) => asText('suffix', v) + suffix);
    },
  }),
  replace: defineTransform('replace', {
    category: 'string',
    description: 'Replaces every occurrence of some text, or of a regular expression.',
    args: {
      search: { type: 'string', required: true, nonEmpty: true, description: 'The text (or, with regex, the pattern) to find.' },
      replace: { type: 'string', description: 'The replacement; with regex, $1 … refer to groups. Default "".' },
      regex: { type: 'boolean', description: 'Whether search is a regular expression. Default false.' },
      flags: { type: 'string', description: 'Regular expression flags; default "g" (every match).' },
    },
    check: (args) => {
      if (!arg(args, 'regex', false)) {
        return Object.hasOwn(args, 'flags') ? [{ path: 'args.flags', message: 'applies only with regex: true' }] : [];
      }
      const flags = arg(args, 'flags', 'g');
      // `y` (sticky) would make replace() depend on lastIndex left over from the previous record.
      if (!/^[gimsu]*$/.test(flags)) return [{ path: 'args.flags', message: 'may only hold the flags g, i, m, s and u' }];
      try {
        new RegExp(arg(args, 'search', ''), flags);
        return [];
      } catch (err) {
        return [{ path: 'args.search', message: `is not a valid regular expression: ${(err as Error).message}` }];
      }
    },
    compile: (args) => {
      const search = arg(args, 'search', '');
      const replacement = arg(args, 'replace', '');
      if (arg(args, 'regex', false)) {
        // Compiled once per rule; `g` replaces all, and replace() resets lastIndex itself.
        const pattern = new RegExp(search, arg(args, 'flags', 'g'));
        return eachValue((v) => asText('replace', v).replace(pattern, replacement));
      }
      // split/join rather than replaceAll: a plain replacement must not interpret `$&` and friends.
      return eachValue((v) => asText('replace', v).split(search).join(replacement));
    },
  }),
  concat: defineTransform('concat', {
    category: 'string',
    description: 'Joins the values of `sources` (missing ones left out) with a separator.',
    args: { separator: { type: 'string', description: 'Put between the values; default "".' } },
    compile: (args) => {
      const separator = arg(args, 'separator', '');
      return (v) => (Array.isArray(v) ? joinValues(v, separator, true) : asText('concat', v));
    },
  }),
  split: defineTransform('split', {
    category: 'string',
    description: 'Splits text into a list at a separator.',
    args: { separator: { type: 'string', description: 'Where to split; default ",". "" splits into characters.' } },
    compile: (args) => {
      const separator = arg<string>(args, 'separator', ',');
      return (v) => {
        const text = asText('split', v);
        return separator === '' ? Array.from(text) : text.split(separator);
      };
    },
  }),
  substring: defineTransform('substring', {
    category: 'string',
    description: 'Takes part of the text, counted in characters; a negative start counts from the end.',
    args: {
      start: { type: 'integer', required: true, description: 'First character, from 0.' },
      length: { type: 'integer', min: 0, description: 'How many characters; default to the end.' },
    },
    compile: (args) => {
      const start = arg(args, 'start', 0);
      const length = arg<number | undefined>(args, 'length', undefined);
      return eachValue((v) => {
        const text = asText('substring', v);
        // Code points, not UTF-16 units, so an emoji is never cut in half; text without surrogate
        // pairs takes the fast path.
        if (!SURROGATE.test(text)) return length === undefined ? text.slice(start) : text.slice(start).slice(0, length);
        const chars = Array.from(text).slice(start);
        return (length === undefined ? chars : chars.slice(0, length)).join('');
      });
    },
  }),
  pad: defineTransform('pad', {
    category: 'string',
    description: 'Pads text to a length with a character.',
    args: {
      length: { type: 'integer', required: true, min: 0, max: 10_000, description: 'The length to reach.' },
      char: { type: 'string', description: 'The padding character; default " ".' },
      side: { type: 'string', oneOf: ['left', 'right'], description: 'Where to pad; default left.' },
    },
    check: (args) =>
      Array.from(arg(args, 'char', ' ')).length === 1 ? [] : [{ path: 'args.char', message: 'must be exactly one character' }],
    compile: (args) => {
      const length = arg(args, 'length', 0);
      const char = arg(args, 'char', ' ');
      const left = arg(args, 'side', 'left') === 'left';
      return eachValue((v) => {
        const text = asText('pad', v);
        return left ? text.padStart(length, char) : text.padEnd(length, char);
      });
    },
  }),
  template: defineTransform('template', {
    category: 'string',
    description:
      'Builds text from a template: [[payload.x]] reads the record being mapped, and [[flow.x]], [[meta.x]], [[run.id]] as elsewhere.',
    acceptsMissing: true,
    args: { template: { type: 'string', required: true, description: 'The text with [[...]] references.' } },
    check: (args) => templateProblems(arg(args, 'template', '')).map((message) => ({ path: 'args.template', message })),
    compile: (args) => {
      const template = arg(args, 'template', '');
      return (_v, ctx) => renderTemplate(template, { payload: () => ctx.record(), meta: ctx.meta, flow: ctx.variables, run: ctx.run });
    },
  }),
};
