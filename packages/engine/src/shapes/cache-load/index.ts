import { AppError, type CacheLoadConfig } from '@weft/schema';
import { cachePort, cacheTarget, renderCacheKey } from '../../caches/index.js';
import type { CachedDocument } from '../../data-ports.js';
import { Payload } from '../../payload.js';
import { documentPayload, payloadPosition } from '../../records/index.js';
import type { Shape, ShapeContext } from '../../shape.js';

/** At most this many entries are joined by one `all_pages` load. */
export const ALL_PAGES_MAX_ENTRIES = 10_000;

function miss(ctx: ShapeContext<CacheLoadConfig>, what: string): AppError {
  const { cache } = ctx.config;
  return new AppError(
    'CACHE_MISS',
    `cache_load: ${what} in cache "${cache}" (${ctx.config.scope ?? 'flow'} scope) is missing or expired; check the key and scope, or set fail_on_miss to false`,
    { retryable: false },
  );
}

/**
 * Entries joined into one payload: JSON and CSV entries that hold lists (or single values) become
 * one list, in key order, in the first entry's format (JSON when formats are mixed). XML and text
 * entries cannot be joined, so then each entry is a payload of its own.
 */
function joinPages(docs: CachedDocument[], meta: Record<string, string>): Payload[] {
  const joinable = docs.every((d) => d.format === 'json' || d.format === 'csv');
  if (!joinable) return docs.map((d) => Payload.fromBytes(d.body, d.format, meta));
  const first = docs[0]?.format ?? 'json';
  const format = docs.every((d) => d.format === first) ? first : 'json';
  const values: unknown[] = [];
  docs.forEach((d) => {
    const value = Payload.fromBytes(d.body, d.format).value();
    if (Array.isArray(value)) for (const v of value) values.push(v);
    else values.push(value);
  });
  return [documentPayload(values, format, meta, 'cache_load', `${docs.length} cache entries`)];
}

/**
 * The `cache_load` shape (spec/flows.md §3): for each payload of the bucket, the entry under its
 * key (in the entry's format, with the payload's meta); with `all_pages`, every entry whose key
 * starts with `key`, joined. A miss fails the step with CACHE_MISS when `fail_on_miss`, else loads
 * nothing for that payload, with a warning. An empty bucket loads nothing.
 */
export const cacheLoadShape: Shape<CacheLoadConfig> = {
  name: 'cache_load',
  async execute(ctx, input) {
    const port = cachePort(ctx, 'cache_load');
    const { config } = ctx;
    const target = cacheTarget(ctx, config.cache, config.scope);
    const out: Payload[] = [];
    let misses = 0;
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      if (config.all_pages === true) {
        const prefix = renderCacheKey(config.key ?? '', payload, ctx, 'cache_load', position, true);
        const docs = await port.find(target, prefix, ALL_PAGES_MAX_ENTRIES);
        if (docs.length === 0) {
          if (config.fail_on_miss === true) throw miss(ctx, prefix === '' ? 'every entry' : `every entry with a key starting "${prefix}"`);
          misses++;
          continue;
        }
        out.push(...joinPages(docs, payload.meta));
        continue;
      }
      const key = renderCacheKey(config.key ?? '', payload, ctx, 'cache_load', position);
      const doc = await port.get(target, key);
      if (doc === undefined) {
        if (config.fail_on_miss === true) throw miss(ctx, `entry "${key}"`);
        misses++;
        continue;
      }
      out.push(Payload.fromBytes(doc.body, doc.format, payload.meta));
    }
    if (misses > 0) {
      ctx.log({
        level: 'warning',
        message: `cache_load: nothing found in cache "${config.cache}" for ${misses} of ${input.length} payload${input.length === 1 ? '' : 's'}; nothing loaded for ${misses === 1 ? 'it' : 'them'}`,
      });
    }
    return { payloads: out };
  },
};
