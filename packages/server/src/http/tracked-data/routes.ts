import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { TrackedData } from '../../store/data-types.js';
import { isoDateFilter } from '../iso-filter.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';

export function trackedDataJson(t: TrackedData) {
  return {
    id: t.id,
    entity: t.entity,
    value: t.value,
    flow_id: t.flowId,
    flow_run_id: t.runId,
    step_id: t.stepId,
    created_at: t.createdAt,
  };
}

/** Search of the values track_data steps recorded: "where is order LMUK62388?". */
export async function trackedDataRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/tracked-data',
    {
      config: { access: 'read' },
      schema: {
        tags: ['tracked-data'],
        summary: 'Search tracked values, newest first',
        description:
          'Filters: `filter[entity]`, `filter[value]` (exact), `filter[flow_id]`, `filter[run_id]` (each `a,b` = any of), `filter[from]` (inclusive) and `filter[to]` (exclusive), ISO 8601 dates.',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number };
      const f = readFilters(query);
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listTrackedData(
        request.auth.companyId,
        {
          ...(f.entity && { entity: f.entity }),
          ...(f.value && { value: f.value }),
          ...(f.flow_id && { flowId: f.flow_id }),
          ...(f.run_id && { runId: f.run_id }),
          from: isoDateFilter(f.from, 'from'),
          to: isoDateFilter(f.to, 'to'),
        },
        { page, perPage },
      );
      return listEnvelope(request, result.rows.map(trackedDataJson), result.total, page, perPage);
    },
  );
}
