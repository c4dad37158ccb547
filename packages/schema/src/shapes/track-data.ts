import { type Static, Type } from '@sinclair/typebox';
import { STORE_NAME_HINT, STORE_NAME_PATTERN } from './cache-names.js';
import type { ConfigProblem } from './conditions.js';
import { pathFormProblem } from './map.js';

export const TRACK_DATA_MAX_FIELDS = 20;

/** Config of the `track_data` shape: records the values at paths for search later (spec/flows.md §3). */
export const TrackDataConfigSchema = Type.Object(
  {
    fields: Type.Array(
      Type.Object(
        {
          path: Type.String({ minLength: 1, description: 'Dot path to the value(s), `*` for every element (`*.order_number`).' }),
          entity: Type.String({
            pattern: STORE_NAME_PATTERN,
            errorMessage: STORE_NAME_HINT,
            description: 'What the value names, for search: `order`, `customer`, `sku`.',
          }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: TRACK_DATA_MAX_FIELDS },
    ),
  },
  { additionalProperties: false },
);

export type TrackDataConfig = Static<typeof TrackDataConfigSchema>;

export function trackDataConfigProblems(config: TrackDataConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.fields.forEach((field, i) => {
    const problem = pathFormProblem(field.path);
    if (problem !== undefined) problems.push({ path: `fields[${i}].path`, message: problem });
  });
  return problems;
}
