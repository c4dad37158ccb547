import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';
import { duplicateLabelProblems, LABEL_MAX_LENGTH } from './route.js';

export const MAX_BRANCHES = 6;

/** Config of the `branch` shape: the same bucket runs down each branch in this order (spec/flows.md §3). */
export const BranchConfigSchema = Type.Object(
  {
    branches: Type.Array(
      Type.Object(
        {
          label: Type.String({
            minLength: 1,
            maxLength: LABEL_MAX_LENGTH,
            description: 'Names the branch; edges out of the step carry it.',
          }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_BRANCHES, description: 'Run one after another, in this order; a failed branch stops the rest.' },
    ),
  },
  { additionalProperties: false },
);

export type BranchConfig = Static<typeof BranchConfigSchema>;

export function branchConfigProblems(config: BranchConfig): ConfigProblem[] {
  return duplicateLabelProblems(
    config.branches.map((b) => b.label),
    'branches',
    'branch',
  );
}
