import { type Static, Type } from '@sinclair/typebox';
import { CACHE_MAX_TTL_SECONDS, CacheNameSchema, CacheScopeSchema } from './cache-names.js';

/** Config of the `cache_add` shape: stores each payload under a key of a named cache (spec/flows.md §3). */
export const CacheAddConfigSchema = Type.Object(
  {
    cache: CacheNameSchema,
    key: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'The entry key, a template rendered per payload (`orders-[[payload.id]]`); at most 255 characters once rendered.',
    }),
    scope: Type.Optional(CacheScopeSchema),
    append: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          '`true`: the entry is a JSON array and the payload is added to its end (a JSON array payload adds its elements); `false`: the payload replaces the entry.',
      }),
    ),
    ttl: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: CACHE_MAX_TTL_SECONDS,
        description: 'Seconds until the entry expires, from its last write; none by default (run-scoped entries: 7 days).',
      }),
    ),
  },
  { additionalProperties: false },
);

export type CacheAddConfig = Static<typeof CacheAddConfigSchema>;
