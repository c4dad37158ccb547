import type { CachePort, DataPoolPort, TrackedDataPort } from '@weft/engine';
import { CACHE_MAX_BYTES } from '@weft/schema';
import type { Store } from '../store/types.js';

export interface DataPortsOptions {
  store: Store;
  /** The cap of one cache; default CACHE_MAX_BYTES (50 MB). */
  cacheMaxBytes?: number;
}

/** The engine's caches, data pools and tracked data ports, on the store. */
export function createDataPorts(options: DataPortsOptions): { caches: CachePort; dataPools: DataPoolPort; trackedData: TrackedDataPort } {
  const { store } = options;
  const maxBytes = options.cacheMaxBytes ?? CACHE_MAX_BYTES;
  const address = (t: { companyId: string; name: string; scope: 'run' | 'flow' | 'company'; scopeId: string }) => ({
    companyId: t.companyId,
    name: t.name,
    scope: t.scope,
    scopeId: t.scopeId,
  });
  const caches: CachePort = {
    async put(target, write) {
      await store.putCacheEntry(address(target), {
        key: write.key,
        format: write.format,
        body: write.body,
        meta: write.meta,
        expiresAt: write.ttlSeconds === undefined ? null : new Date(Date.now() + write.ttlSeconds * 1000).toISOString(),
        append: write.append,
        ...(write.opKey !== undefined && { opKey: write.opKey }),
        maxBytes,
      });
    },
    async get(target, key) {
      const entry = await store.getCacheEntry(address(target), key);
      return entry === undefined ? undefined : { key: entry.key, format: entry.format, body: entry.body, meta: entry.meta };
    },
    async find(target, keyPrefix, limit) {
      const entries = await store.findCacheEntries(address(target), keyPrefix, limit);
      return entries.map((e) => ({ key: e.key, format: e.format, body: e.body, meta: e.meta }));
    },
  };
  const dataPools: DataPoolPort = {
    see: (companyId, pool, values, seeOptions) => store.seeDataPoolValues(companyId, pool, values, seeOptions),
  };
  const trackedData: TrackedDataPort = {
    record: (context, values) =>
      store.trackData(
        context.companyId,
        values.map((v) => ({
          entity: v.entity,
          value: v.value,
          flowId: context.flowId,
          runId: context.runId,
          stepId: context.stepId,
          itemKey: context.itemKey,
        })),
      ),
  };
  return { caches, dataPools, trackedData };
}
