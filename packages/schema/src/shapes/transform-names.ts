/**
 * The transforms a map rule may name (spec/flows.md §4). The engine's registry has exactly these
 * keys (a test holds the two together), so the browser-safe validator can say "unknown transform"
 * without loading the engine.
 */
export const TRANSFORM_NAMES = [
  // string
  'uppercase',
  'lowercase',
  'trim',
  'prefix',
  'suffix',
  'replace',
  'concat',
  'split',
  'substring',
  'pad',
  'template',
  // number
  'to_number',
  'add',
  'subtract',
  'multiply',
  'divide',
  'round',
  'floor',
  'ceil',
  'format_number',
  // date
  'format_date',
  'now',
  'add_duration',
  // array
  'join',
  'first',
  'last',
  'count',
  'sum',
  'unique',
  'sort',
  // other
  'default',
  'constant',
  'to_boolean',
  'expression',
  'lookup',
  'script',
  'cache_lookup',
] as const;

export type TransformName = (typeof TRANSFORM_NAMES)[number];

export function isTransformName(name: string): name is TransformName {
  return (TRANSFORM_NAMES as readonly string[]).includes(name);
}
