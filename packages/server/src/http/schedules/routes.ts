import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { nextTick } from '../../scheduler/scheduler.js';
import { schedulesOf } from '../../store/trigger-config.js';
import { notFound } from '../errors.js';

const FlowId = Type.Object({ flowId: Type.String({ minLength: 1, maxLength: 64 }) });

/** The deployed version's cron schedules with when each fires next (spec/flows.md §5). */
export async function scheduleRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/flows/:flowId/schedules',
    {
      config: { access: 'read' },
      schema: {
        tags: ['flows'],
        summary: 'List the deployed schedules and their next fire times',
        description: '`next_fire_at` is null while the flow is disabled: nothing fires then.',
        params: FlowId,
      },
    },
    async (request) => {
      const { flowId } = request.params as { flowId: string };
      const flow = await store.getFlow(request.auth.companyId, flowId);
      if (!flow) throw notFound('Flow');
      if (flow.deployedVersionId === null) return { data: [] };
      const version = await store.getVersion(request.auth.companyId, flow.deployedVersionId);
      if (!version) return { data: [] };
      const now = new Date();
      return {
        data: schedulesOf(version.definition).map((cron) => ({
          cron,
          next_fire_at: flow.enabled ? (nextTick(cron, now)?.toISOString() ?? null) : null,
        })),
      };
    },
  );
}
