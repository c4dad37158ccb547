import { TRANSFORMS } from './index.js';
import type { ArgSpec, TransformCategory } from './types.js';

export const TRANSFORMS_DOC_PATH = 'docs/transforms.md';

const CATEGORIES: Array<[TransformCategory, string]> = [
  ['string', 'Text'],
  ['number', 'Numbers'],
  ['date', 'Dates'],
  ['array', 'Lists'],
  ['other', 'Other'],
];

function typeOf(spec: ArgSpec): string {
  if (spec.oneOf) return spec.oneOf.map((v) => `\`${v}\``).join(' / ');
  const range = spec.min !== undefined || spec.max !== undefined ? ` (${spec.min ?? '…'}–${spec.max ?? '…'})` : '';
  return `${spec.type === 'any' ? 'any JSON value' : spec.type === 'string[]' ? 'list of strings' : spec.type}${range}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * docs/transforms.md, rendered from the registry so the reference cannot drift from the code
 * (transforms/reference.test.ts compares the two and rewrites the file with WEFT_WRITE_DOCS=1).
 */
export function renderTransformsDoc(): string {
  const lines = [
    '# Map transforms',
    '',
    '<!-- Generated from packages/engine/src/transforms (reference.ts); do not edit by hand. -->',
    '<!-- Rewrite: WEFT_WRITE_DOCS=1 npx vitest run packages/engine/src/transforms/reference.test.ts -->',
    '',
    'A map rule (`docs/shapes/map.md`) applies its `transforms` in order to the value read from its source(s):',
    '`{ "fn": "<name>", "args": { ... } }`. Unknown names and bad arguments are refused when the flow is',
    'saved, with the path of the argument (`steps[2].config.rules[0].transforms[1].args.places`).',
    '',
    '- A missing or `null` value skips every transform except those marked *runs on missing values*',
    '  (`default`, `constant`, …), so `to_number` on an absent field leaves it absent and a later `default`',
    '  fills it.',
    '- Given a list, the one-value transforms (`uppercase` … `pad`, the number ones, `format_date`,',
    '  `add_duration`, `lookup`) apply to each element; `concat`, `split`, `template`, the list ones and',
    '  `script` take the value whole. A rule with `*` in its source gets one value per element anyway.',
    '- A transform that cannot apply fails the step with `MAP_ERROR`, naming the rule, the transform and',
    '  the element (`rules[3].transforms[0]: to_number cannot read "abc" as a number (element [4])`).',
    '- `lookup` reads a company **lookup table** (`/api/v1/lookup-tables`, rows of a left and a right value,',
    '  CSV import/export); `script` runs a deployed company **script** (`/api/v1/scripts`, see',
    '  `docs/shapes/script.md`) with the value as `payload` and takes the `payload` it returns. Both are',
    '  looked up in the run’s company; the map preview uses the caller’s.',
    '',
  ];
  for (const [category, title] of CATEGORIES) {
    const names = Object.keys(TRANSFORMS).filter((name) => TRANSFORMS[name]!.category === category);
    if (names.length === 0) continue;
    lines.push(`## ${title}`, '');
    for (const name of names) {
      const def = TRANSFORMS[name]!;
      const notes = [def.acceptsMissing ? 'runs on missing values' : '', def.async ? 'asynchronous' : ''].filter(Boolean);
      lines.push(`### ${name}`, '', `${def.description}${notes.length > 0 ? ` *(${notes.join('; ')})*` : ''}`, '');
      const args = Object.entries(def.args);
      if (args.length === 0) {
        lines.push('No arguments.', '');
        continue;
      }
      lines.push('| argument | type | required | meaning |', '| --- | --- | --- | --- |');
      for (const [arg, spec] of args)
        lines.push(`| \`${arg}\` | ${cell(typeOf(spec))} | ${spec.required ? 'yes' : 'no'} | ${cell(spec.description)} |`);
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
