import { CACHE_KEY_MAX_LENGTH, CACHE_SCOPES, type CacheScope, STORE_NAME_PATTERN } from '@weft/schema';
import { compilePath, getOne, pathProblem } from '../paths/index.js';
import { Payload } from '../payload.js';
import { defineTransform } from './args.js';
import type { TransformContext, TransformDef } from './types.js';
import { mapError, showValue } from './values.js';

const ON_MISS = ['keep', 'default', 'empty', 'fail'] as const;
const NAME = new RegExp(STORE_NAME_PATTERN);

interface Settings {
  cache: string;
  scope: CacheScope;
  prefix: string;
  field: ReturnType<typeof compilePath> | undefined;
  onMiss: (typeof ON_MISS)[number];
  fallback: unknown;
}

async function lookupOne(value: unknown, ctx: TransformContext, settings: Settings): Promise<unknown> {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw mapError(`cache_lookup needs text, a number or true/false as the key, got ${showValue(value)}`);
  }
  const key = `${settings.prefix}${String(value)}`;
  let found: unknown;
  if (key.length <= CACHE_KEY_MAX_LENGTH && key !== '') {
    const entry = await (ctx.cacheEntry as NonNullable<TransformContext['cacheEntry']>)({
      cache: settings.cache,
      scope: settings.scope,
      key,
    });
    if (entry !== undefined) {
      const document = entry.format === 'text' ? entry.body.toString('utf8') : Payload.fromBytes(entry.body, entry.format).value();
      found = settings.field === undefined ? document : getOne(document, settings.field);
    }
  }
  if (found !== undefined) return found;
  switch (settings.onMiss) {
    case 'keep':
      return value;
    case 'default':
      return settings.fallback;
    case 'empty':
      return '';
    case 'fail':
      throw mapError(
        `cache_lookup: no entry "${key}"${settings.field ? ` with a value at ${JSON.stringify(settings.field.text)}` : ''} in cache ${JSON.stringify(settings.cache)} (${settings.scope} scope; on_miss is fail)`,
      );
  }
}

/**
 * `cache_lookup` (spec/flows.md §4): the value stored in a named cache (`cache_add`) under the key
 * `key_prefix` + value, or the field at `path` inside it. A list looks up each element.
 */
export const CACHE_LOOKUP_TRANSFORMS: Record<string, TransformDef> = {
  cache_lookup: defineTransform('cache_lookup', {
    category: 'other',
    description: 'The entry a cache_add step stored under the key (key_prefix + value), or a field of it; a list looks up each element.',
    async: true,
    args: {
      cache: { type: 'string', required: true, nonEmpty: true, description: 'The cache name.' },
      scope: { type: 'string', oneOf: CACHE_SCOPES, description: 'run, flow (default) or company: which cache of that name.' },
      key_prefix: { type: 'string', description: 'Put before the value to make the key (e.g. "customer-").' },
      path: { type: 'string', nonEmpty: true, description: 'A dot path inside the stored document; the whole document when absent.' },
      on_miss: {
        type: 'string',
        oneOf: ON_MISS,
        description:
          'When there is no such entry (or nothing at path): keep the value (default), use `default`, give empty text, or fail the step.',
      },
      default: { type: 'any', description: 'The value given on a miss when on_miss is default.' },
    },
    check: (args) => {
      const problems = [];
      if (typeof args.cache === 'string' && !NAME.test(args.cache)) {
        problems.push({ path: 'args.cache', message: 'must be 1-100 letters, digits, "_", "-" or ".", starting with a letter or digit' });
      }
      const pathIssue = typeof args.path === 'string' ? pathProblem(args.path) : undefined;
      if (pathIssue !== undefined) problems.push({ path: 'args.path', message: pathIssue });
      if (args.on_miss === 'default' && args.default === undefined)
        problems.push({ path: 'args.default', message: 'is required when on_miss is default' });
      return problems;
    },
    compile: (args) => {
      const settings = {
        cache: args.cache as string,
        scope: (args.scope ?? 'flow') as CacheScope,
        prefix: (args.key_prefix ?? '') as string,
        field: typeof args.path === 'string' ? compilePath(args.path) : undefined,
        onMiss: (args.on_miss ?? 'keep') as (typeof ON_MISS)[number],
        fallback: args.default,
      };
      return async (value, ctx) => {
        if (ctx.cacheEntry === undefined)
          throw mapError('caches can be read only while a flow runs; cache_lookup does not work in the preview');
        if (Array.isArray(value)) return Promise.all(value.map((v) => lookupOne(v, ctx, settings)));
        return lookupOne(value, ctx, settings);
      };
    },
  }),
};
