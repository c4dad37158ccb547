import { Type } from '@sinclair/typebox';
import { AppError, CACHE_SCOPES, type CacheScope } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { CacheEntry, CacheInfo } from '../../store/data-types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';

const CacheId = Type.Object({ cacheId: Type.String({ minLength: 1, maxLength: 64 }) });
const EntryParams = Type.Object({
  cacheId: Type.String({ minLength: 1, maxLength: 64 }),
  key: Type.String({ minLength: 1, maxLength: 255 }),
});

function cacheJson(c: CacheInfo) {
  return {
    id: c.id,
    name: c.name,
    scope: c.scope,
    scope_id: c.scopeId === '' ? null : c.scopeId,
    entries: c.entries,
    bytes: c.bytes,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

function entrySummary(e: CacheEntry) {
  return {
    key: e.key,
    format: e.format,
    bytes: e.bytes,
    meta: e.meta,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    expires_at: e.expiresAt,
  };
}

/** An entry with its content: JSON as a value, other formats as text (JSON that no longer parses as text too). */
function entryJson(e: CacheEntry) {
  const text = e.body.toString('utf8');
  let content: unknown = text;
  if (e.format === 'json') {
    try {
      content = JSON.parse(text);
    } catch {
      content = text;
    }
  }
  return { ...entrySummary(e), content };
}

/** The company's named caches (cache_add / cache_load): list, inspect, clear. */
export async function cacheRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/caches',
    {
      config: { access: 'read' },
      schema: {
        tags: ['caches'],
        summary: 'List caches, newest first',
        description:
          'Filters: `filter[name]`, `filter[scope]` (run, flow, company), `filter[scope_id]` (a run or flow id); each `a,b` = any of.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const f = readFilters(query);
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const scope = f.scope?.filter((s): s is CacheScope => (CACHE_SCOPES as readonly string[]).includes(s));
      if (f.scope !== undefined && scope?.length !== f.scope.length) {
        throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
          details: { 'filter[scope]': [`must be one of ${CACHE_SCOPES.join(', ')}`] },
        });
      }
      const result = await store.listCaches(
        request.auth.companyId,
        { ...(f.name && { name: f.name }), ...(scope && { scope }), ...(f.scope_id && { scopeId: f.scope_id }) },
        { page, perPage },
      );
      return listEnvelope(request, result.rows.map(cacheJson), result.total, page, perPage);
    },
  );

  app.get(
    '/api/v1/caches/:cacheId',
    { config: { access: 'read' }, schema: { tags: ['caches'], summary: 'One cache with its totals', params: CacheId } },
    async (request) => {
      const { cacheId } = request.params as { cacheId: string };
      const cache = await store.getCache(request.auth.companyId, cacheId);
      if (!cache) throw notFound('Cache');
      return { data: cacheJson(cache) };
    },
  );

  app.get(
    '/api/v1/caches/:cacheId/entries',
    {
      config: { access: 'read' },
      schema: {
        tags: ['caches'],
        summary: 'The entries of a cache by key (without their content)',
        params: CacheId,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const { cacheId } = request.params as { cacheId: string };
      const query = request.query as { page?: number; per_page?: number };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listCacheEntries(request.auth.companyId, cacheId, { page, perPage });
      if (!result) throw notFound('Cache');
      return listEnvelope(request, result.rows.map(entrySummary), result.total, page, perPage);
    },
  );

  app.get(
    '/api/v1/caches/:cacheId/entries/:key',
    { config: { access: 'read' }, schema: { tags: ['caches'], summary: 'One entry with its content', params: EntryParams } },
    async (request) => {
      const { cacheId, key } = request.params as { cacheId: string; key: string };
      const entry = await store.getCacheEntryById(request.auth.companyId, cacheId, key);
      if (!entry) throw notFound('Cache entry');
      return { data: entryJson(entry) };
    },
  );

  app.delete(
    '/api/v1/caches/:cacheId',
    { config: { access: 'write' }, schema: { tags: ['caches'], summary: 'Clear a cache: every entry goes', params: CacheId } },
    async (request, reply) => {
      const { cacheId } = request.params as { cacheId: string };
      const cache = await store.getCache(request.auth.companyId, cacheId);
      if (!cache || !(await store.deleteCache(request.auth.companyId, cacheId))) throw notFound('Cache');
      await recordAudit(store, request, {
        action: 'cache.cleared',
        targetType: 'cache',
        targetId: cacheId,
        data: { name: cache.name, scope: cache.scope },
      });
      return reply.status(204).send();
    },
  );

  app.delete(
    '/api/v1/caches/:cacheId/entries/:key',
    { config: { access: 'write' }, schema: { tags: ['caches'], summary: 'Remove one entry', params: EntryParams } },
    async (request, reply) => {
      const { cacheId, key } = request.params as { cacheId: string; key: string };
      if (!(await store.deleteCacheEntry(request.auth.companyId, cacheId, key))) throw notFound('Cache entry');
      return reply.status(204).send();
    },
  );
}
