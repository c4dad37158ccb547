import { type Static, Type } from '@sinclair/typebox';
import { AppError } from '@weft/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { LookupRow, LookupTable } from '../../store/lookup-types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery } from '../pagination.js';
import { LOOKUP_CSV_MAX_BYTES, LOOKUP_ROWS_MAX, LOOKUP_VALUE_MAX_CHARS, parseLookupCsv, writeLookupCsv } from './csv.js';

const TableId = Type.Object({ tableId: Type.String({ minLength: 1, maxLength: 64 }) });
const Name = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]*$',
  description: 'Unique in the company; `lookup` transforms name it (args.table).',
});
const Row = Type.Object(
  {
    left: Type.String({ minLength: 1, maxLength: LOOKUP_VALUE_MAX_CHARS }),
    right: Type.String({ maxLength: LOOKUP_VALUE_MAX_CHARS }),
  },
  { additionalProperties: false },
);
const Rows = Type.Array(Row, { maxItems: LOOKUP_ROWS_MAX });

const CreateBody = Type.Object(
  { name: Name, description: Type.Optional(Type.String({ maxLength: 5000 })), rows: Type.Optional(Rows) },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false },
);
const RowsBody = Type.Object({ rows: Rows }, { additionalProperties: false });
const ImportQuery = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal('replace'), Type.Literal('merge')], {
        description: 'replace (default): the CSV becomes the table; merge: its rows are added, or update the rows with their left values.',
      }),
    ),
  },
  { additionalProperties: false },
);

function tableJson(table: LookupTable) {
  return {
    id: table.id,
    name: table.name,
    description: table.description,
    row_count: table.rowCount,
    created_at: table.createdAt,
    updated_at: table.updatedAt,
  };
}

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
  if (Buffer.byteLength(text) > LOOKUP_CSV_MAX_BYTES) {
    throw new AppError(
      'BODY_TOO_LARGE',
      `The CSV is larger than ${LOOKUP_CSV_MAX_BYTES / 1024 / 1024} MB; split it and import with mode=merge.`,
    );
  }
  return text;
}

/** Cross-reference lookup tables (/api/v1/lookup-tables) for the map transform `lookup`. */
export async function lookupTableRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/lookup-tables',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lookup-tables'],
        summary: 'List lookup tables',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as { page?: number; per_page?: number };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listLookupTables(request.auth.companyId, { page, perPage });
      return listEnvelope(request, result.rows.map(tableJson), result.total, page, perPage);
    },
  );

  app.post(
    '/api/v1/lookup-tables',
    { config: { access: 'write' }, schema: { tags: ['lookup-tables'], summary: 'Create a lookup table, with rows', body: CreateBody } },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateBody>;
      const table = await store.createLookupTable(request.auth.companyId, {
        name: body.name,
        description: body.description ?? '',
        rows: body.rows ?? [],
      });
      return reply.status(201).send({ data: tableJson(table) });
    },
  );

  app.get(
    '/api/v1/lookup-tables/:tableId',
    { config: { access: 'read' }, schema: { tags: ['lookup-tables'], summary: 'Get a lookup table', params: TableId } },
    async (request) => {
      const { tableId } = request.params as { tableId: string };
      const table = await store.getLookupTable(request.auth.companyId, tableId);
      if (!table) throw notFound('Lookup table');
      return { data: tableJson(table) };
    },
  );

  app.patch(
    '/api/v1/lookup-tables/:tableId',
    {
      config: { access: 'write' },
      schema: { tags: ['lookup-tables'], summary: 'Rename or describe a lookup table', params: TableId, body: PatchBody },
    },
    async (request) => {
      const { tableId } = request.params as { tableId: string };
      const table = await store.updateLookupTable(request.auth.companyId, tableId, request.body as Static<typeof PatchBody>);
      if (!table) throw notFound('Lookup table');
      return { data: tableJson(table) };
    },
  );

  app.delete(
    '/api/v1/lookup-tables/:tableId',
    { config: { access: 'write' }, schema: { tags: ['lookup-tables'], summary: 'Delete a lookup table and its rows', params: TableId } },
    async (request, reply) => {
      const { tableId } = request.params as { tableId: string };
      const table = await store.getLookupTable(request.auth.companyId, tableId);
      if (!table || !(await store.deleteLookupTable(request.auth.companyId, tableId))) throw notFound('Lookup table');
      await recordAudit(store, request, {
        action: 'lookup_table.deleted',
        targetType: 'lookup_table',
        targetId: tableId,
        data: { name: table.name },
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/lookup-tables/:tableId/rows',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lookup-tables'],
        summary: "A lookup table's rows, in order",
        params: TableId,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const { tableId } = request.params as { tableId: string };
      const query = request.query as { page?: number; per_page?: number };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listLookupRows(request.auth.companyId, tableId, { page, perPage });
      if (!result) throw notFound('Lookup table');
      return listEnvelope(request, result.rows, result.total, page, perPage);
    },
  );

  app.put(
    '/api/v1/lookup-tables/:tableId/rows',
    { config: { access: 'write' }, schema: { tags: ['lookup-tables'], summary: 'Replace every row', params: TableId, body: RowsBody } },
    async (request) => {
      const { tableId } = request.params as { tableId: string };
      const table = await store.replaceLookupRows(request.auth.companyId, tableId, (request.body as Static<typeof RowsBody>).rows);
      if (!table) throw notFound('Lookup table');
      return { data: tableJson(table) };
    },
  );

  app.post(
    '/api/v1/lookup-tables/:tableId/rows',
    {
      config: { access: 'write' },
      schema: {
        tags: ['lookup-tables'],
        summary: 'Add rows; a row whose left value exists sets its right value',
        params: TableId,
        body: RowsBody,
      },
    },
    async (request) => {
      const { tableId } = request.params as { tableId: string };
      const rows = (request.body as Static<typeof RowsBody>).rows;
      const table = await store.upsertLookupRows(request.auth.companyId, tableId, rows);
      if (!table) throw notFound('Lookup table');
      return { data: tableJson(table) };
    },
  );

  app.delete(
    '/api/v1/lookup-tables/:tableId/rows/:left',
    {
      config: { access: 'write' },
      schema: {
        tags: ['lookup-tables'],
        summary: 'Remove the row with this left value (URL-encoded)',
        params: Type.Object({
          tableId: Type.String({ minLength: 1, maxLength: 64 }),
          left: Type.String({ minLength: 1, maxLength: LOOKUP_VALUE_MAX_CHARS }),
        }),
      },
    },
    async (request, reply) => {
      const { tableId, left } = request.params as { tableId: string; left: string };
      const { companyId } = request.auth;
      const before = await store.getLookupTable(companyId, tableId);
      if (!before) throw notFound('Lookup table');
      const after = await store.deleteLookupRows(companyId, tableId, [left]);
      if (!after) throw notFound('Lookup table');
      if (after.rowCount === before.rowCount)
        throw new AppError('NOT_FOUND', `The lookup table has no row with the left value ${JSON.stringify(left)}.`);
      return reply.status(204).send();
    },
  );

  // Its own scope, so a text/csv body arrives as its bytes here whatever the app does with raw types elsewhere.
  await app.register(async (scope) => {
    scope.removeContentTypeParser(['text/csv', 'text/plain']);
    scope.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post(
      '/api/v1/lookup-tables/:tableId/import',
      {
        config: { access: 'write' },
        schema: {
          tags: ['lookup-tables'],
          summary: 'Import rows from CSV (header left,right; at most 5 MB)',
          description: 'Body: text/csv, or JSON {"csv": "..."}. A bad CSV is refused with 422 naming the line; nothing is changed.',
          params: TableId,
          querystring: ImportQuery,
        },
      },
      async (request) => {
        const { tableId } = request.params as { tableId: string };
        const { companyId } = request.auth;
        if (!(await store.getLookupTable(companyId, tableId))) throw notFound('Lookup table');
        const rows: LookupRow[] = parseLookupCsv(importText(request));
        const mode = (request.query as Static<typeof ImportQuery>).mode ?? 'replace';
        const table =
          mode === 'merge'
            ? await store.upsertLookupRows(companyId, tableId, rows)
            : await store.replaceLookupRows(companyId, tableId, rows);
        if (!table) throw notFound('Lookup table');
        await recordAudit(store, request, {
          action: 'lookup_table.imported',
          targetType: 'lookup_table',
          targetId: tableId,
          data: { name: table.name, mode, rows: rows.length },
        });
        return { data: tableJson(table) };
      },
    );
  });

  app.get(
    '/api/v1/lookup-tables/:tableId/export',
    { config: { access: 'read' }, schema: { tags: ['lookup-tables'], summary: 'Every row as CSV (header left,right)', params: TableId } },
    async (request, reply) => {
      const { tableId } = request.params as { tableId: string };
      const { companyId } = request.auth;
      const table = await store.getLookupTable(companyId, tableId);
      const rows = table && (await store.loadLookupRows(companyId, table.name));
      if (!table || !rows) throw notFound('Lookup table');
      const file = `${table.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file}"`)
        .send(writeLookupCsv(rows));
    },
  );
}
