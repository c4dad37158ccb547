import type { TryCatchConfig } from '@weft/schema';
import type { Shape } from '../../shape.js';

/**
 * The `try_catch` shape: hands its bucket down the `try` path. Catching is the engine's part
 * (run/execute-run.ts): payloads that fail in a step after the `try` edge go down `catch`.
 */
export const tryCatchShape: Shape<TryCatchConfig> = {
  name: 'try_catch',
  async execute(_ctx, input) {
    return { payloads: [], routes: { try: input } };
  },
};
