import type { CacheAddConfig } from '@weft/schema';
import { cachePort, cacheTarget, renderCacheKey } from '../../caches/index.js';
import { payloadPosition, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';

/** Run-scoped entries without a ttl of their own go after a week: the run is long over by then. */
export const RUN_SCOPE_DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The `cache_add` shape (spec/flows.md §3): stores each payload of the bucket under its key in
 * the named cache and passes the bucket on unchanged.
 *
 * - Without `append` the payload replaces the entry, in its own format and bytes.
 * - With `append` the entry is a JSON array: a list payload (JSON array, CSV rows) adds its
 *   elements, anything else (an object, an XML document, a text) is added as one element. Each
 *   append is named by run, step and payload position, so a retried step appends once.
 * - A write that would take the cache past its cap fails the step with CACHE_FULL; the entry keeps
 *   what it held.
 */
export const cacheAddShape: Shape<CacheAddConfig> = {
  name: 'cache_add',
  async execute(ctx, input) {
    const port = cachePort(ctx, 'cache_add');
    const { config } = ctx;
    const target = cacheTarget(ctx, config.cache, config.scope);
    const ttlSeconds = config.ttl ?? (target.scope === 'run' ? RUN_SCOPE_DEFAULT_TTL_SECONDS : undefined);
    const append = config.append === true;
    const written = new Set<string>();
    let overwritten = 0;
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      const key = renderCacheKey(config.key, payload, ctx, 'cache_add', position);
      if (!append && written.has(key)) overwritten++;
      written.add(key);
      if (append) {
        const value = payload.format === 'text' ? payload.text() : structuredValue(payload, 'cache_add', position);
        const items = Array.isArray(value) ? value : [value];
        await port.put(target, {
          key,
          format: 'json',
          body: Buffer.from(JSON.stringify(items)),
          meta: payload.meta,
          ...(ttlSeconds !== undefined && { ttlSeconds }),
          append: true,
          opKey: `${ctx.run.id}:${ctx.itemKey}:${index}`,
        });
      } else {
        await port.put(target, {
          key,
          format: payload.format,
          body: payload.bytes(),
          meta: payload.meta,
          ...(ttlSeconds !== undefined && { ttlSeconds }),
          append: false,
        });
      }
    }
    if (overwritten > 0) {
      ctx.log({
        level: 'warning',
        message: `cache_add: ${overwritten} payload${overwritten === 1 ? '' : 's'} had the key of an earlier payload of this bucket and replaced it; use a key that differs per payload, or append`,
      });
    }
    ctx.log({
      level: 'info',
      message: `cache_add: ${input.length} payload${input.length === 1 ? '' : 's'} written to cache "${config.cache}" (${target.scope} scope)`,
    });
    return { payloads: input };
  },
};
