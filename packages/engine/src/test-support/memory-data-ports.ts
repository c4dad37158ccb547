import { AppError } from '@weft/schema';
import type { CachedDocument, CachePort, DataPoolPort, TrackedDataPort, TrackedValue } from '../data-ports.js';

/**
 * In-memory ports for the engine's shape tests (the engine cannot open the server's store). They
 * follow the store contract that the server's conformance suite checks on SQLite and PostgreSQL;
 * the server's flow tests run these shapes on the real store.
 */
export function memoryDataPorts(options: { cacheMaxBytes?: number } = {}) {
  const maxBytes = options.cacheMaxBytes ?? 50 * 1024 * 1024;
  const entries = new Map<string, Map<string, CachedDocument & { expiresAt: number | undefined }>>();
  const ops = new Set<string>();
  const cacheId = (t: { companyId: string; name: string; scope: string; scopeId: string }) =>
    [t.companyId, t.name, t.scope, t.scopeId].join('|');
  const live = (id: string) => {
    const map = entries.get(id) ?? new Map();
    entries.set(id, map);
    for (const [k, e] of map) if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) map.delete(k);
    return map;
  };
  const caches: CachePort = {
    async put(target, write) {
      const map = live(cacheId(target));
      const existing = map.get(write.key);
      let body = write.body;
      if (write.append) {
        const opKey = `${cacheId(target)}|${write.opKey}`;
        if (write.opKey !== undefined && ops.has(opKey)) return;
        if (existing !== undefined) {
          const stored: unknown = JSON.parse(existing.body.toString());
          if (!Array.isArray(stored)) throw new AppError('PAYLOAD_STRUCTURE_ERROR', `entry "${write.key}" is not a JSON array`);
          body = Buffer.from(JSON.stringify([...stored, ...(JSON.parse(write.body.toString()) as unknown[])]));
        }
        if (write.opKey !== undefined) ops.add(opKey);
      }
      let total = body.length;
      for (const [k, e] of map) if (k !== write.key) total += e.body.length;
      if (total > maxBytes)
        throw new AppError('CACHE_FULL', `cache "${target.name}" would pass its limit; nothing was written`, { retryable: false });
      map.set(write.key, {
        key: write.key,
        format: write.append && existing !== undefined ? existing.format : write.format,
        body,
        meta: write.meta,
        expiresAt: write.ttlSeconds === undefined ? undefined : Date.now() + write.ttlSeconds * 1000,
      });
    },
    async get(target, key) {
      return live(cacheId(target)).get(key);
    },
    async find(target, prefix, limit) {
      return [...live(cacheId(target)).values()]
        .filter((e) => e.key.startsWith(prefix))
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .slice(0, limit);
    },
  };
  const pools = new Map<string, Map<string, string>>();
  const dataPools: DataPoolPort = {
    async see(companyId, pool, values, { track, opKey }) {
      const id = `${companyId}|${pool}`;
      const known = pools.get(id) ?? new Map<string, string>();
      if (track) pools.set(id, known);
      return values.map((v) => {
        const first = known.get(v);
        if (first === undefined && track) known.set(v, opKey);
        return first === undefined || (track && first === opKey);
      });
    },
  };
  const tracked: Array<TrackedValue & { runId: string; stepId: string; itemKey: string }> = [];
  const once = new Set<string>();
  const trackedData: TrackedDataPort = {
    async record(context, values) {
      for (const v of values) {
        const id = [context.runId, context.itemKey, v.entity, v.value].join('|');
        if (once.has(id)) continue;
        once.add(id);
        tracked.push({ ...v, runId: context.runId, stepId: context.stepId, itemKey: context.itemKey });
      }
    },
  };
  return { caches, dataPools, trackedData, tracked, pools };
}
