import { Type } from '@sinclair/typebox';
import { AppError } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { AuditEntry } from '../../store/types.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';
import { listResponse } from '../users/serialize.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const AuditLogJson = Type.Object({
  id: Type.String(),
  company_id: Type.String(),
  actor_type: Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('anonymous')]),
  actor_id: Nullable(Type.String({ description: 'The user id, or the API key id; null for an anonymous actor.' })),
  action: Type.String({ description: 'e.g. auth.login.failed, api_key.created, flow.deployed.' }),
  target_type: Nullable(Type.String()),
  target_id: Nullable(Type.String()),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  address: Nullable(Type.String({ description: 'The client address the request came from.' })),
  data: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});

function auditLogJson(entry: AuditEntry) {
  return {
    id: entry.id,
    company_id: entry.companyId,
    actor_type: entry.actorType,
    actor_id: entry.actorId,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    outcome: entry.outcome,
    address: entry.address,
    data: entry.data,
    created_at: entry.createdAt,
  };
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function isoDate(values: string[] | undefined, field: string): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  // Date.parse alone takes far more than ISO 8601 (it reads "1" as the year 2001).
  const ms = values.length === 1 && ISO_8601.test(values[0]!) ? Date.parse(values[0]!) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { [`filter[${field}]`]: [`must be one ISO 8601 date, got "${values.join(',')}"`] },
    });
  }
  return new Date(ms).toISOString();
}

/** The company's audit log, for administrators (quality.md §3). */
export async function auditLogRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/audit-logs',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'List audit log entries, newest first',
        description:
          'Administrators only. Filters: `filter[action]`, `filter[actor_id]`, `filter[target_id]` (each `a,b` = any of), `filter[from]` (inclusive) and `filter[to]` (exclusive), ISO 8601 dates.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
        response: { 200: listResponse(AuditLogJson) },
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const f = readFilters(query);
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listAudit(
        request.auth.companyId,
        {
          action: f.action,
          actorId: f.actor_id,
          targetId: f.target_id,
          from: isoDate(f.from, 'from'),
          to: isoDate(f.to, 'to'),
        },
        { page, perPage },
      );
      return listEnvelope(request, result.rows.map(auditLogJson), result.total, page, perPage);
    },
  );
}
