import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { notFound } from '../errors.js';
import { runJson } from '../runs/serialize.js';

const RunId = Type.Object({ runId: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The child runs a run started with `run_flow` steps (each child's `parent_run_id` names the
 * parent, the other direction of the link). Oldest first, all of them: one step starts at most
 * a thousand.
 */
export async function runLinkRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/flow-runs/:runId/children',
    { config: { access: 'read' }, schema: { tags: ['runs'], summary: 'List the child runs a run started (run_flow)', params: RunId } },
    async (request) => {
      const { runId } = request.params as { runId: string };
      const companyId = request.auth.companyId;
      if (!(await store.getRun(companyId, runId))) throw notFound('Run');
      const children = await store.listChildRuns(companyId, runId);
      return { data: children.map(runJson) };
    },
  );
}
