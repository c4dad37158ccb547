import type { ShapeContext } from '../../shape.js';
import type { CacheRead } from '../../transforms/types.js';

type Entry = { format: 'json' | 'xml' | 'csv' | 'text'; body: Buffer } | undefined;

/**
 * The `cacheEntry` of a map step's MapEnv, for the `cache_lookup` transform: a cache of the step's
 * run, flow or company; each key is read once per step, however many records look it up.
 */
export function cacheReader(ctx: ShapeContext<unknown>): { cacheEntry?: (read: CacheRead) => Promise<Entry> } {
  const caches = ctx.services.caches;
  if (caches === undefined) return {};
  const reads = new Map<string, Promise<Entry>>();
  return {
    cacheEntry(read) {
      const scopeId = read.scope === 'run' ? ctx.run.id : read.scope === 'flow' ? ctx.run.flowId : '';
      const id = `${read.cache}\u0000${read.scope}\u0000${read.key}`;
      let entry = reads.get(id);
      if (entry === undefined) {
        entry = caches.get({ companyId: ctx.run.companyId, name: read.cache, scope: read.scope, scopeId }, read.key);
        reads.set(id, entry);
      }
      return entry;
    },
  };
}
