import { type Static, Type } from '@sinclair/typebox';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../validate/definition-schema.js';

/** The longest a script step may run (spec/flows.md §3), and its default. */
export const SCRIPT_TIMEOUT_MAX_SECONDS = 120;
export const SCRIPT_NAME_MAX_LENGTH = 128;

/** Config of the `script` shape: runs a company script once per payload in the sandbox. */
export const ScriptConfigSchema = Type.Object(
  {
    script: Type.String({
      minLength: 1,
      maxLength: SCRIPT_NAME_MAX_LENGTH,
      description: 'The name of a script of the company; it must exist when the flow is deployed.',
    }),
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: 'A deployed version of the script; the latest deployed one when absent.' }),
    ),
    timeout_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: SCRIPT_TIMEOUT_MAX_SECONDS,
        default: SCRIPT_TIMEOUT_MAX_SECONDS,
        description: 'Time limit of the step: every payload of the bucket runs within it.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type ScriptConfig = Static<typeof ScriptConfigSchema>;

const VARIABLE_NAME = new RegExp(NAME_PATTERN);

/** What is wrong with a flow variable name a script sets (the rule set_variables and definitions follow), or undefined. */
export function scriptVariableNameProblem(name: string): string | undefined {
  if (name.length <= NAME_MAX_LENGTH && VARIABLE_NAME.test(name)) return undefined;
  return `variable names must be 1-${NAME_MAX_LENGTH} characters of letters, digits, "_" and "-", got ${JSON.stringify(name)}`;
}
