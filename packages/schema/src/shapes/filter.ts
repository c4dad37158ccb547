import { type Static, Type } from '@sinclair/typebox';
import { ConditionSchema, type ConfigProblem, conditionProblems, LogicSchema } from './conditions.js';
import { pathFormProblem } from './map.js';
import { ROOT_RECORDS_PATH, recordsPathProblem } from './records-path.js';

export const MAX_CONDITIONS = 100;

/** Config of the `filter` shape: keeps (or removes) the records matching conditions (spec/flows.md §3). */
export const FilterConfigSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        default: ROOT_RECORDS_PATH,
        description: 'Dot path to the list of records; `*` (the default) for the payload itself.',
      }),
    ),
    conditions: Type.Array(ConditionSchema, { minItems: 1, maxItems: MAX_CONDITIONS }),
    logic: Type.Optional(LogicSchema),
    mode: Type.Optional(
      Type.Union([Type.Literal('keep'), Type.Literal('remove')], {
        default: 'keep',
        description: '`keep` the matching records, or `remove` them.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type FilterConfig = Static<typeof FilterConfigSchema>;

/** What FilterConfigSchema cannot say: path forms, values each operator needs, safe patterns. */
export function filterConfigProblems(config: FilterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const pathProblem = config.path === undefined ? undefined : recordsPathProblem(config.path);
  if (pathProblem !== undefined) problems.push({ path: 'path', message: pathProblem });
  problems.push(...conditionProblems(config.conditions, 'conditions', pathFormProblem));
  return problems;
}
