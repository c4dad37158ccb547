import { type Static, Type } from '@sinclair/typebox';
import { CacheNameSchema, CacheScopeSchema } from './cache-names.js';
import type { ConfigProblem } from './conditions.js';

/** Config of the `cache_load` shape: loads stored entries of a named cache (spec/flows.md §3). */
export const CacheLoadConfigSchema = Type.Object(
  {
    cache: CacheNameSchema,
    key: Type.Optional(
      Type.String({
        maxLength: 1000,
        description:
          'The entry key, a template rendered per payload. Required unless `all_pages`; with `all_pages` it is a key prefix (empty: every entry).',
      }),
    ),
    scope: Type.Optional(CacheScopeSchema),
    fail_on_miss: Type.Optional(
      Type.Boolean({
        default: false,
        description: '`true`: a missing or expired entry fails the step; `false`: it loads nothing, with a warning.',
      }),
    ),
    all_pages: Type.Optional(
      Type.Boolean({
        default: false,
        description: '`true`: every entry of the cache (whose key starts with `key`) in one payload, JSON/CSV lists joined in key order.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type CacheLoadConfig = Static<typeof CacheLoadConfigSchema>;

export function cacheLoadConfigProblems(config: CacheLoadConfig): ConfigProblem[] {
  if (config.all_pages !== true && (config.key === undefined || config.key === '')) {
    return [{ path: 'key', message: 'is required unless all_pages is true: name the entry to load, e.g. "orders-[[payload.id]]"' }];
  }
  return [];
}
