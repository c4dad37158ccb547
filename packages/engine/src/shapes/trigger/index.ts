import type { TriggerConfig } from '@weft/schema';
import type { Shape } from '../../shape.js';

/**
 * The `trigger` shape starts every flow. Schedules, webhooks and callbacks start runs from
 * outside the engine; inside a run the trigger only hands on the payload the run started with.
 */
export const triggerShape: Shape<TriggerConfig> = {
  name: 'trigger',
  async execute(_ctx, input) {
    return { payloads: input };
  },
};
