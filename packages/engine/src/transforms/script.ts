import { defineTransform } from './args.js';
import type { TransformDef } from './types.js';
import { mapError } from './values.js';

/**
 * `script` (spec/flows.md §4): runs a deployed company script on the value. The script's `main`
 * gets `{payload: value, meta, variables, flow}` (the contract of the `script` shape) and the
 * `payload` it returns is the new value; meta, variables and logs it returns are not used here.
 */
export const SCRIPT_TRANSFORMS: Record<string, TransformDef> = {
  script: defineTransform('script', {
    category: 'other',
    description: 'The payload a deployed company script returns for the value (main receives it as payload).',
    async: true,
    args: {
      script: { type: 'string', required: true, nonEmpty: true, description: 'The name of a script of the company.' },
      version: { type: 'integer', min: 1, description: 'A deployed version of the script; the deployed one when absent.' },
    },
    compile: (args) => {
      const script = args.script as string;
      const version = args.version as number | undefined;
      return async (value, ctx) => {
        if (ctx.runScript === undefined) throw mapError('scripts cannot run here; run the map in a flow or the map preview');
        return ctx.runScript({ script, version, value, meta: ctx.meta, variables: ctx.variables });
      };
    },
  }),
};
