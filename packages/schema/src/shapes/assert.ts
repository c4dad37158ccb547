import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';
import { pathFormProblem } from './map.js';

/** Config of the `assert` shape: each payload must equal `expected`, apart from `ignore_paths`. */
export const AssertConfigSchema = Type.Object(
  {
    expected: Type.Unknown({
      description: 'The expected document as a JSON value; for an XML or CSV payload it may also be a string in that format.',
    }),
    ignore_paths: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Dot paths (`*` for every element) left out of the comparison, e.g. `*.updated_at`.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type AssertConfig = Static<typeof AssertConfigSchema>;

export function assertConfigProblems(config: AssertConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.expected === undefined) problems.push({ path: 'expected', message: 'is required: the document each payload must equal' });
  config.ignore_paths?.forEach((path, i) => {
    const problem = pathFormProblem(path);
    if (problem !== undefined) problems.push({ path: `ignore_paths[${i}]`, message: problem });
  });
  return problems;
}
