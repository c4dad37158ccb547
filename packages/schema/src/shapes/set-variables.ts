import { type Static, Type } from '@sinclair/typebox';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../validate/definition-schema.js';
import type { ConfigProblem } from './conditions.js';

/** A payload's meta holds at most this many bytes (UTF-8, keys and values), spec/flows.md §2. */
export const META_MAX_BYTES = 10 * 1024;
export const META_KEY_MAX_LENGTH = 128;

/** Config of the `set_variables` shape: flow variables and meta entries from templates. */
export const SetVariablesConfigSchema = Type.Object(
  {
    variables: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Variable name → template; set for the rest of the run, rendered against the first payload of the bucket.',
      }),
    ),
    meta: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Meta key → template; rendered and set on each payload.' }),
    ),
  },
  { additionalProperties: false },
);

export type SetVariablesConfig = Static<typeof SetVariablesConfigSchema>;

const NAME = new RegExp(NAME_PATTERN);

// Keys are user text; brackets keep a path unambiguous when a key holds a dot or a space.
function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function setVariablesConfigProblems(config: SetVariablesConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const variables = Object.keys(config.variables ?? {});
  const meta = Object.keys(config.meta ?? {});
  if (variables.length === 0 && meta.length === 0) {
    problems.push({ path: 'variables', message: 'sets nothing: name at least one variable or meta key' });
  }
  for (const name of variables) {
    if (name.length > NAME_MAX_LENGTH || !NAME.test(name)) {
      problems.push({
        path: keyPath('variables', name),
        message: `variable names must be 1-${NAME_MAX_LENGTH} characters of letters, digits, "_" and "-", got ${JSON.stringify(name)}`,
      });
    }
  }
  for (const key of meta) {
    if (key === '' || key.length > META_KEY_MAX_LENGTH) {
      problems.push({ path: keyPath('meta', key), message: `meta keys must be 1-${META_KEY_MAX_LENGTH} characters` });
    }
  }
  return problems;
}

/** The variable names set_variables steps of a definition set, which later templates may use. */
export function variablesSetBy(config: unknown): string[] {
  if (typeof config !== 'object' || config === null) return [];
  const variables = (config as { variables?: unknown }).variables;
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return [];
  return Object.keys(variables);
}
