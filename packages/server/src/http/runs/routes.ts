import { Type } from '@sinclair/typebox';
import { AppError, RUN_STATUSES, RUN_TRIGGERS, type RunStatus, type RunTrigger, TERMINAL_RUN_STATUSES } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { RunSort } from '../../store/types.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';
import { CONTENT_TYPES, payloadJson, runJson, runLogJson } from './serialize.js';

const RunId = Type.Object({ runId: Type.String({ minLength: 1, maxLength: 64 }) });
const PayloadId = Type.Object({ payloadId: Type.String({ minLength: 1, maxLength: 64 }) });
const SORTS: RunSort[] = ['started_at', '-started_at', 'queued_at', '-queued_at', 'finished_at', '-finished_at'];
const SSE_HEARTBEAT_MS = 15_000;

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: { [field]: [message] } });
}

function oneOf<T extends string>(values: string[] | undefined, allowed: readonly T[], field: string): T[] | undefined {
  if (!values) return undefined;
  for (const v of values)
    if (!allowed.includes(v as T)) throw invalid(`filter[${field}]`, `must be one of ${allowed.join(', ')}; got "${v}"`);
  return values as T[];
}

function isoDate(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalid(`filter[${field}]`, `must be an ISO 8601 date, got "${value}"`);
  return new Date(t).toISOString();
}

export async function runRoutes(app: FastifyInstance, _config: Config, { store, queue, events }: AppDeps): Promise<void> {
  app.get(
    '/api/v1/flow-runs',
    {
      config: { access: 'read' },
      schema: {
        tags: ['runs'],
        summary: 'List runs, newest first',
        querystring: Type.Object({ ...PageQuery, sort: Type.Optional(Type.String()) }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown> & { page?: number; per_page?: number; sort?: string };
      const f = readFilters(query);
      for (const key of ['flow_id', 'flow_version_id', 'status', 'trigger', 'started_after', 'started_before']) {
        if (typeof query[key] === 'string') f[key] = String(query[key]).split(',');
      }
      const sort = (query.sort ?? '-started_at') as RunSort;
      if (!SORTS.includes(sort)) throw invalid('sort', `must be one of ${SORTS.join(', ')}`);
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const result = await store.listRuns(
        request.auth.companyId,
        {
          flowId: f.flow_id,
          versionId: f.flow_version_id,
          status: oneOf<RunStatus>(f.status, RUN_STATUSES, 'status'),
          trigger: oneOf<RunTrigger>(f.trigger, RUN_TRIGGERS, 'trigger'),
          startedAfter: isoDate(f.started_after?.[0], 'started_after'),
          startedBefore: isoDate(f.started_before?.[0], 'started_before'),
        },
        sort,
        { page, perPage },
      );
      return listEnvelope(request, result.rows.map(runJson), result.total, page, perPage);
    },
  );

  app.get(
    '/api/v1/flow-runs/:runId',
    { config: { access: 'read' }, schema: { tags: ['runs'], summary: 'Get a run', params: RunId } },
    async (request) => {
      const { runId } = request.params as { runId: string };
      const run = await store.getRun(request.auth.companyId, runId);
      if (!run) throw notFound('Flow run');
      return { data: runJson(run) };
    },
  );

  app.get(
    '/api/v1/flow-runs/:runId/flow-run-logs',
    { config: { access: 'read' }, schema: { tags: ['runs'], summary: "A run's log entries in order", params: RunId } },
    async (request) => {
      const { runId } = request.params as { runId: string };
      const run = await store.getRun(request.auth.companyId, runId);
      if (!run) throw notFound('Flow run');
      const logs = await store.listRunLogs(request.auth.companyId, runId);
      return { data: logs.map(runLogJson) };
    },
  );

  app.get(
    '/api/v1/payloads/:payloadId',
    { config: { access: 'read' }, schema: { tags: ['runs'], summary: "A payload's metadata", params: PayloadId } },
    async (request) => {
      const { payloadId } = request.params as { payloadId: string };
      const payload = await store.getPayload(request.auth.companyId, payloadId);
      if (!payload) throw notFound('Payload');
      return { data: payloadJson(payload) };
    },
  );

  app.get(
    '/api/v1/payloads/:payloadId/download',
    { config: { access: 'read' }, schema: { tags: ['runs'], summary: "A payload's bytes", params: PayloadId } },
    async (request, reply) => {
      const { payloadId } = request.params as { payloadId: string };
      const payload = await store.getPayload(request.auth.companyId, payloadId);
      if (!payload) throw notFound('Payload');
      const body = await store.getPayloadBody(request.auth.companyId, payloadId);
      if (!body) throw new AppError('PAYLOAD_EXPIRED', 'The payload bytes are no longer stored.');
      return reply
        .header('content-type', `${CONTENT_TYPES[payload.format]}; charset=utf-8`)
        .header('content-disposition', `attachment; filename="${payload.id}.${payload.format === 'text' ? 'txt' : payload.format}"`)
        .send(body);
    },
  );

  app.post(
    '/api/v1/flow-runs/:runId/retry',
    {
      config: { access: 'write' },
      schema: { tags: ['runs'], summary: 'Run the same version again with the original input', params: RunId },
    },
    async (request) => {
      const { runId } = request.params as { runId: string };
      const companyId = request.auth.companyId;
      const original = await store.getRun(companyId, runId);
      if (!original) throw notFound('Flow run');
      const [input] = original.inputPayloadId ? await store.loadPayloads(original.id, [original.inputPayloadId]) : [];
      const { run } = await store.createRun(companyId, {
        flowId: original.flowId,
        versionId: original.versionId,
        trigger: 'retry',
        priority: original.priority,
        expedite: true,
        input: input ? { format: input.format, meta: input.meta, body: input.body } : { format: 'text', meta: {}, body: Buffer.alloc(0) },
        variables: original.variables,
        retryOfRunId: original.id,
        parentRunId: original.parentRunId ?? undefined,
      });
      await queue.enqueue({ runId: run.id, companyId, priority: run.priority, expedite: true, queuedAt: run.queuedAt });
      return { message: 'Flow initialised.', flow_run_id: run.id, data: runJson(run) };
    },
  );

  app.post(
    '/api/v1/flow-runs/:runId/stop',
    { config: { access: 'write' }, schema: { tags: ['runs'], summary: 'Stop a run at the next step boundary', params: RunId } },
    async (request) => {
      const { runId } = request.params as { runId: string };
      const run = await store.getRun(request.auth.companyId, runId);
      if (!run) throw notFound('Flow run');
      if (TERMINAL_RUN_STATUSES.includes(run.status))
        throw new AppError('RUN_NOT_STOPPABLE', `The run has already finished (${run.status}).`);
      const stopped = await store.requestStop(request.auth.companyId, runId);
      if (!stopped) throw notFound('Flow run');
      events.requestStop(runId);
      if (stopped.status === 'stopped') events.publish({ type: 'status', runId, data: { status: 'stopped' } });
      return { data: runJson(stopped) };
    },
  );

  app.get(
    '/api/v1/flow-runs/:runId/events',
    { config: { access: 'read' }, schema: { tags: ['runs'], summary: 'Server-sent events while the run is live', params: RunId } },
    async (request, reply) => {
      const { runId } = request.params as { runId: string };
      const run = await store.getRun(request.auth.companyId, runId);
      if (!run) throw notFound('Flow run');
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('status', { status: run.status });
      if (TERMINAL_RUN_STATUSES.includes(run.status)) {
        res.end();
        return;
      }
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
        res.end();
      };
      const unsubscribe = events.subscribe(runId, (event) => {
        send(event.type, event.data);
        if (event.type === 'status' && TERMINAL_RUN_STATUSES.includes(event.data.status as RunStatus)) close();
      });
      request.raw.on('close', close);
      // The run may have finished between the read above and the subscription.
      const again = await store.getRun(request.auth.companyId, runId);
      if (again && TERMINAL_RUN_STATUSES.includes(again.status)) {
        send('status', { status: again.status, error: again.error });
        close();
      }
    },
  );
}
