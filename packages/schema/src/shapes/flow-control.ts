import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';
import { ROOT_RECORDS_PATH, recordsPathProblem } from './records-path.js';

export const FLOW_CONTROL_MAX_SIZE = 100_000;

/** Config of the `flow_control` shape: splits the records into batches of `size`, one payload each. */
export const FlowControlConfigSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        default: ROOT_RECORDS_PATH,
        description: 'Dot path to the list of records; `*` (the default) for the payload itself.',
      }),
    ),
    size: Type.Integer({ minimum: 1, maximum: FLOW_CONTROL_MAX_SIZE, description: 'Records per batch.' }),
    no_wrap_single: Type.Optional(
      Type.Boolean({ default: false, description: '`true`: a batch of one record holds the record, not a list of one.' }),
    ),
  },
  { additionalProperties: false },
);

export type FlowControlConfig = Static<typeof FlowControlConfigSchema>;

export function flowControlConfigProblems(config: FlowControlConfig): ConfigProblem[] {
  const problem = config.path === undefined ? undefined : recordsPathProblem(config.path);
  return problem === undefined ? [] : [{ path: 'path', message: problem }];
}
