import { AppError, isAppError, META_MAX_BYTES, type SetVariablesConfig } from '@weft/schema';
import type { Payload } from '../../payload.js';
import { payloadPosition } from '../../records/index.js';
import type { Shape } from '../../shape.js';
import { renderTemplate, runTemplateScope, type TemplateScope } from '../../templates/index.js';

/**
 * The `set_variables` shape (spec/flows.md §3): sets flow variables for the rest of the run and
 * meta entries on each payload, from templates.
 *
 * Variables belong to the run, not to a payload, so they are rendered once, against the first
 * payload of the bucket; meta is rendered per payload. Templates see the variables and meta as
 * they were before this step. Payloads pass on with their data unchanged.
 */
export const setVariablesShape: Shape<SetVariablesConfig> = {
  name: 'set_variables',
  async execute(ctx, input) {
    const run = runTemplateScope(ctx.run);
    const scopeOf = (payload: Payload | undefined): TemplateScope => ({
      meta: payload?.meta ?? {},
      flow: ctx.variables,
      run,
      ...(payload === undefined ? {} : { payload: () => payload.value() }),
    });

    const variables: Record<string, string> = {};
    const first = input[0];
    for (const [name, template] of Object.entries(ctx.config.variables ?? {})) {
      variables[name] = render(
        `variables.${name}`,
        template,
        scopeOf(first),
        first === undefined ? undefined : payloadPosition(0, input.length),
      );
    }

    const metaTemplates = Object.entries(ctx.config.meta ?? {});
    const payloads =
      metaTemplates.length === 0
        ? input
        : input.map((payload, index) => {
            const position = payloadPosition(index, input.length);
            const meta: Record<string, string> = { ...payload.meta };
            const scope = scopeOf(payload);
            for (const [key, template] of metaTemplates) meta[key] = render(`meta.${key}`, template, scope, position);
            const bytes = metaBytes(meta);
            if (bytes > META_MAX_BYTES) {
              throw new AppError(
                'PAYLOAD_STRUCTURE_ERROR',
                `set_variables: the meta of ${position} would hold ${bytes} bytes, more than the limit of ${META_MAX_BYTES}; set shorter values`,
              );
            }
            return payload.withMeta(meta);
          });
    return Object.keys(variables).length === 0 ? { payloads } : { payloads, variables };
  },
};

function render(setting: string, template: string, scope: TemplateScope, position: string | undefined): string {
  try {
    return renderTemplate(template, scope);
  } catch (err) {
    if (!isAppError(err)) throw err;
    const where = position === undefined ? setting : `${setting} (${position})`;
    throw new AppError(err.code, `${where}: ${err.message}`, { cause: err });
  }
}

function metaBytes(meta: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(meta)) total += Buffer.byteLength(key) + Buffer.byteLength(value);
  return total;
}
