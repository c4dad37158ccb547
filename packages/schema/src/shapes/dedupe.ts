import { type Static, Type } from '@sinclair/typebox';
import { STORE_NAME_HINT, STORE_NAME_PATTERN } from './cache-names.js';
import type { ConfigProblem } from './conditions.js';
import { pathFormProblem } from './map.js';
import { ROOT_RECORDS_PATH, recordsPathProblem } from './records-path.js';

export const DEDUPE_BEHAVIOURS = ['filter', 'track', 'filter_and_track'] as const;
export type DedupeBehaviour = (typeof DEDUPE_BEHAVIOURS)[number];

/** Days a value stays "seen" in a data pool after it was last seen. */
export const DATA_POOL_RETENTION_DAYS = 90;

/**
 * Config of the `dedupe` shape (spec/flows.md §3): removes records whose key value a data pool
 * has seen, and/or records the new ones.
 */
export const DedupeConfigSchema = Type.Object(
  {
    pool: Type.String({
      pattern: STORE_NAME_PATTERN,
      errorMessage: STORE_NAME_HINT,
      description: 'The data pool holding the seen values; created on first use.',
    }),
    path: Type.Optional(
      Type.String({
        default: ROOT_RECORDS_PATH,
        description:
          'Dot path to the list of records; `*` (the default) for the payload itself. An object there is one record: the whole payload.',
      }),
    ),
    key_field: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Dot path inside a record to the value compared; absent: the whole record (its JSON) is the value.',
      }),
    ),
    behaviour: Type.Optional(
      Type.Union(
        DEDUPE_BEHAVIOURS.map((b) => Type.Literal(b)),
        {
          default: 'filter_and_track',
          description:
            '`filter`: remove records seen before, record nothing; `track`: record values, remove nothing; `filter_and_track` (default): both.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export type DedupeConfig = Static<typeof DedupeConfigSchema>;

export function dedupeConfigProblems(config: DedupeConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const pathProblem = config.path === undefined ? undefined : recordsPathProblem(config.path);
  if (pathProblem !== undefined) problems.push({ path: 'path', message: pathProblem });
  if (config.key_field !== undefined) {
    const keyProblem = pathFormProblem(config.key_field);
    if (keyProblem !== undefined) problems.push({ path: 'key_field', message: keyProblem });
    else if (config.key_field.split('.').includes('*')) {
      problems.push({
        path: 'key_field',
        message: 'may not use "*": it names one value inside each record, such as "id" or "customer.email"',
      });
    }
  }
  return problems;
}
