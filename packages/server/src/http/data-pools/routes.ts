import { Type } from '@sinclair/typebox';
import { AppError, STORE_NAME_HINT, STORE_NAME_PATTERN } from '@weft/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { DataPool, DataPoolValue } from '../../store/data-types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';
import { POOL_CSV_MAX_BYTES, parsePoolCsv, writePoolCsv } from './csv.js';

const PoolId = Type.Object({ poolId: Type.String({ minLength: 1, maxLength: 64 }) });
const Name = Type.String({ pattern: STORE_NAME_PATTERN, description: `The pool name; it ${STORE_NAME_HINT}.` });
const Description = Type.String({ maxLength: 2000 });
const CreateBody = Type.Object({ name: Name, description: Type.Optional(Description) }, { additionalProperties: false });
const PatchBody = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false });

function poolJson(p: DataPool) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    values_count: p.valuesCount,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

const valueJson = (v: DataPoolValue) => ({ value: v.value, first_seen: v.firstSeen, last_seen: v.lastSeen });

/** The CSV of an import: a text/csv body, or JSON {"csv": "..."}; at most 5 MB either way. */
function importText(request: FastifyRequest): string {
  const body = request.body as unknown;
  let text: string;
  if (Buffer.isBuffer(body)) text = body.toString('utf8');
  else if (typeof body === 'object' && body !== null && typeof (body as { csv?: unknown }).csv === 'string')
    text = (body as { csv: string }).csv;
  else {
    throw new AppError('VALIDATION_FAILED', 'Send the CSV as a text/csv body, or as JSON {"csv": "..."}.', {
      details: { csv: ['is required'] },
    });
  }
  if (Buffer.byteLength(text) > POOL_CSV_MAX_BYTES) {
    throw new AppError('BODY_TOO_LARGE', `The CSV is larger than ${POOL_CSV_MAX_BYTES / 1024 / 1024} MB; split it into several imports.`);
  }
  return text;
}

/** Data pools of seen values (the dedupe shape): CRUD, values, CSV import and export. */
export async function dataPoolRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  const poolOf = async (request: FastifyRequest) => {
    const { poolId } = request.params as { poolId: string };
    const pool = await store.getDataPool(request.auth.companyId, poolId);
    if (!pool) throw notFound('Data pool');
    return pool;
  };

  app.get(
    '/api/v1/data-pools',
    {
      config: { access: 'read' },
      schema: {
        tags: ['data-pools'],
        summary: 'List data pools by name; filter[name] finds one',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const f = readFilters(query);
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const name = f.name?.[0];
      const result = await store.listDataPools(request.auth.companyId, name === undefined ? {} : { name }, { page, perPage });
      return listEnvelope(request, result.rows.map(poolJson), result.total, page, perPage);
    },
  );

  app.post(
    '/api/v1/data-pools',
    { config: { access: 'write' }, schema: { tags: ['data-pools'], summary: 'Create a data pool', body: CreateBody } },
    async (request, reply) => {
      const body = request.body as { name: string; description?: string };
      const pool = await store.createDataPool(request.auth.companyId, body);
      await recordAudit(store, request, {
        action: 'data_pool.created',
        targetType: 'data_pool',
        targetId: pool.id,
        data: { name: pool.name },
      });
      return reply.status(201).send({ data: poolJson(pool) });
    },
  );

  app.get(
    '/api/v1/data-pools/:poolId',
    { config: { access: 'read' }, schema: { tags: ['data-pools'], summary: 'One data pool with its value count', params: PoolId } },
    async (request) => ({ data: poolJson(await poolOf(request)) }),
  );

  app.patch(
    '/api/v1/data-pools/:poolId',
    {
      config: { access: 'write' },
      schema: { tags: ['data-pools'], summary: 'Rename or describe a data pool', params: PoolId, body: PatchBody },
    },
    async (request) => {
      const { poolId } = request.params as { poolId: string };
      const pool = await store.updateDataPool(request.auth.companyId, poolId, request.body as { name?: string; description?: string });
      if (!pool) throw notFound('Data pool');
      return { data: poolJson(pool) };
    },
  );

  app.delete(
    '/api/v1/data-pools/:poolId',
    { config: { access: 'write' }, schema: { tags: ['data-pools'], summary: 'Delete a data pool and its values', params: PoolId } },
    async (request, reply) => {
      const pool = await poolOf(request);
      if (!(await store.deleteDataPool(request.auth.companyId, pool.id))) throw notFound('Data pool');
      await recordAudit(store, request, {
        action: 'data_pool.deleted',
        targetType: 'data_pool',
        targetId: pool.id,
        data: { name: pool.name },
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/data-pools/:poolId/values',
    {
      config: { access: 'read' },
      schema: {
        tags: ['data-pools'],
        summary: 'The values of a pool seen in the last 90 days, newest first seen first',
        description: '`filter[value]` keeps values starting with the text given.',
        params: PoolId,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const { poolId } = request.params as { poolId: string };
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const value = query['filter[value]'];
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listDataPoolValues(request.auth.companyId, poolId, typeof value === 'string' ? { value } : {}, {
        page,
        perPage,
      });
      if (!result) throw notFound('Data pool');
      return listEnvelope(request, result.rows.map(valueJson), result.total, page, perPage);
    },
  );

  app.delete(
    '/api/v1/data-pools/:poolId/values',
    { config: { access: 'write' }, schema: { tags: ['data-pools'], summary: 'Forget every value of a pool', params: PoolId } },
    async (request) => {
      const { poolId } = request.params as { poolId: string };
      const removed = await store.clearDataPoolValues(request.auth.companyId, poolId);
      if (removed === undefined) throw notFound('Data pool');
      await recordAudit(store, request, { action: 'data_pool.cleared', targetType: 'data_pool', targetId: poolId, data: { removed } });
      return { data: { removed } };
    },
  );

  // Its own scope, so a text/csv body arrives as its bytes here whatever the app does with raw types elsewhere.
  await app.register(async (scope) => {
    scope.removeContentTypeParser(['text/csv', 'text/plain']);
    scope.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post(
      '/api/v1/data-pools/:poolId/values/import',
      {
        config: { access: 'write' },
        schema: {
          tags: ['data-pools'],
          summary: 'Add values from CSV (header value, optional first_seen, last_seen; at most 5 MB)',
          description:
            'Body: text/csv, or JSON {"csv": "..."}. A known value keeps the earlier first_seen and the later last_seen. A bad CSV is refused with 422 naming the line; nothing is added.',
          params: PoolId,
        },
      },
      async (request) => {
        const pool = await poolOf(request);
        const values = parsePoolCsv(importText(request));
        const imported = await store.importDataPoolValues(request.auth.companyId, pool.id, values);
        if (imported === undefined) throw notFound('Data pool');
        await recordAudit(store, request, {
          action: 'data_pool.imported',
          targetType: 'data_pool',
          targetId: pool.id,
          data: { rows: imported },
        });
        return { data: { imported, pool: poolJson((await store.getDataPool(request.auth.companyId, pool.id)) ?? pool) } };
      },
    );
  });

  app.get(
    '/api/v1/data-pools/:poolId/values/export',
    {
      config: { access: 'read' },
      schema: { tags: ['data-pools'], summary: 'Every value as CSV (value,first_seen,last_seen)', params: PoolId },
    },
    async (request, reply) => {
      const pool = await poolOf(request);
      const values = await store.exportDataPoolValues(request.auth.companyId, pool.id);
      if (!values) throw notFound('Data pool');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${pool.name}.csv"`)
        .send(writePoolCsv(values));
    },
  );
}
