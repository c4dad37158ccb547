import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';
import { ROOT_RECORDS_PATH, recordsPathProblem } from './records-path.js';

/** Config of the `split` shape: each element of the list at `path` becomes its own payload. */
export const SplitConfigSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({ default: ROOT_RECORDS_PATH, description: 'Dot path to the list; `*` (the default) for the payload itself.' }),
    ),
    wrapper_key: Type.Optional(
      Type.String({ minLength: 1, description: 'When set, each payload is `{ <wrapper_key>: element }` instead of the element.' }),
    ),
  },
  { additionalProperties: false },
);

export type SplitConfig = Static<typeof SplitConfigSchema>;

export function splitConfigProblems(config: SplitConfig): ConfigProblem[] {
  const problem = config.path === undefined ? undefined : recordsPathProblem(config.path);
  return problem === undefined ? [] : [{ path: 'path', message: problem }];
}
