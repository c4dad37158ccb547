import type { BranchConfig } from '@weft/schema';
import type { Payload } from '../../payload.js';
import type { Shape } from '../../shape.js';

/**
 * The `branch` shape (spec/flows.md §3): hands the same bucket to every branch. The engine runs
 * the branches one after another in the order of `branches` (not of the edges), each to its end
 * before the next starts, and a failed branch stops the run before the rest.
 */
export const branchShape: Shape<BranchConfig> = {
  name: 'branch',
  async execute(ctx, input) {
    const routes: Record<string, Payload[]> = {};
    for (const { label } of ctx.config.branches) routes[label] = input;
    return { payloads: [], routes };
  },
};
