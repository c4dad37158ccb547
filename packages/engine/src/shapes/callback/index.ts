import type { CallbackConfig } from '@weft/schema';
import type { Shape } from '../../shape.js';

/**
 * The `callback` shape (spec/flows.md §3, §5): its input bucket is the answer to the request that
 * started a callback-trigger run, and passes on unchanged. Nothing is sent from here: the step's
 * journalled output is what the waiting request reads (from the store, so the API process may be
 * another than the worker's). Only the first callback step to complete answers; the request has
 * been answered by then, so later ones just pass their payloads on.
 */
export const callbackShape: Shape<CallbackConfig> = {
  name: 'callback',
  // Passing payloads on cannot fail in a way another attempt cures.
  retries: () => 0,
  async execute(ctx, input) {
    if (ctx.run.trigger === 'callback') {
      ctx.log({
        level: 'info',
        message: `callback: answer of ${input.length} payload${input.length === 1 ? '' : 's'} ready (status ${ctx.config.status ?? 200})`,
      });
    } else {
      ctx.log({
        level: 'debug',
        message: `callback: the run was started by "${ctx.run.trigger}", not a callback request; payloads pass on`,
      });
    }
    return { payloads: input };
  },
};
