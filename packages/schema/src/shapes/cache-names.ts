import { Type } from '@sinclair/typebox';

/** Where a cache lives: one run, every run of one flow, or the whole company. */
export const CACHE_SCOPES = ['run', 'flow', 'company'] as const;
export type CacheScope = (typeof CACHE_SCOPES)[number];

/** Default and largest size of one cache (every entry of one name in one scope), in bytes. */
export const CACHE_MAX_BYTES = 50 * 1024 * 1024;
/** Longest time-to-live a cache entry may be given: one year. */
export const CACHE_MAX_TTL_SECONDS = 365 * 24 * 3600;

/** A cache, data pool or entity name: letters, digits and `_ - .`, as users type them into settings. */
export const STORE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';
export const STORE_NAME_HINT = 'must be 1-100 letters, digits, "_", "-" or ".", starting with a letter or digit';

export const CacheNameSchema = Type.String({
  pattern: STORE_NAME_PATTERN,
  description: 'The cache name; the same name in another scope is another cache.',
  errorMessage: STORE_NAME_HINT,
});

export const CacheScopeSchema = Type.Union(
  CACHE_SCOPES.map((s) => Type.Literal(s)),
  { default: 'flow', description: '`run`: this run only; `flow` (default): every run of this flow; `company`: every flow of the company.' },
);

/** An entry key: a template rendered per payload, at most 255 characters once rendered. */
export const CACHE_KEY_MAX_LENGTH = 255;
