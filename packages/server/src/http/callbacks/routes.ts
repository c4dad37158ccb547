import { Type } from '@sinclair/typebox';
import { AppError, CALLBACK_TIMEOUT_DEFAULT_SECONDS, TERMINAL_RUN_STATUSES, type TriggerConfig } from '@weft/schema';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { enqueueRun } from '../../queue/enqueue-run.js';
import { triggerConfigOf } from '../../store/trigger-config.js';
import type { FlowHead, FlowVersion, Run } from '../../store/types.js';
import { notFound } from '../errors.js';
import { payloadOf, signedFlow } from '../webhooks/routes.js';
import { callbackStepIds, readCallbackAnswer } from './answer.js';

const CallbackParams = Type.Object({
  companyId: Type.String({ minLength: 1, maxLength: 64 }),
  flowId: Type.String({ minLength: 1, maxLength: 64 }),
});
const FlowId = Type.Object({ flowId: Type.String({ minLength: 1, maxLength: 64 }) });

/** First and longest pause between two reads of the store while a request waits. */
const POLL_FIRST_MS = 25;
const POLL_MAX_MS = 250;

/** The header that names the run on every callback answer, also on a timeout. */
export const RUN_ID_HEADER = 'x-weft-flow-run-id';

export function callbackUrl(companyId: string, flowId: string, secret: string): string {
  return `/api/v1/callbacks/${encodeURIComponent(companyId)}/${encodeURIComponent(flowId)}?signature=${encodeURIComponent(secret)}`;
}

/**
 * The callback trigger (spec/flows.md §5): a request starts a run of the deployed version and
 * waits for the run's first `callback` step, whose output is the answer (status and content type
 * from that step, else the trigger's `callback.content_type`, else the payload's format). After
 * `callback.timeout_seconds` the answer is 504 CALLBACK_TIMEOUT and the run goes on; a run that
 * ends without reaching a callback step answers 502 CALLBACK_NOT_ANSWERED.
 *
 * The wait reads the store (the journal), so the worker may be another process; in-process run
 * events only wake the wait early. Two doors: the public URL with the flow's webhook secret
 * (`?signature=`), like a webhook, and an authenticated one for API clients.
 */
export async function callbackRoutes(app: FastifyInstance, _config: Config, { store, queue, events, limits }: AppDeps): Promise<void> {
  await app.register(async (scope) => {
    // Every content type arrives as the bytes sent, as at the webhook.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.route({
      method: ['GET', 'POST'],
      url: '/api/v1/callbacks/:companyId/:flowId',
      config: { access: false },
      schema: {
        tags: ['start'],
        summary: 'Start the deployed version and wait for its callback step',
        description:
          "Authenticated by `?signature=<secret>` (the flow's webhook secret). The body (else the query parameters as a JSON object) becomes the payload; the answer is the output of the run's first `callback` step.",
        params: CallbackParams,
        security: [],
      },
      handler: async (request, reply) => {
        const { flow, query } = await signedFlow(store, request, 'Callback');
        // Counted like a webhook call, once the caller proved the secret.
        await limits?.checkWebhook(flow.companyId);
        return answer(request, reply, flow, query);
      },
    });
    scope.route({
      method: 'POST',
      url: '/api/v1/flows/:flowId/callback',
      config: { access: 'write' },
      schema: {
        tags: ['start'],
        summary: 'Start the deployed version and wait for its callback step (authenticated)',
        description: 'As the public callback URL, for clients with a token or API key.',
        params: FlowId,
      },
      handler: async (request, reply) => {
        const { flowId } = request.params as { flowId: string };
        const flow = await store.getFlowHead(request.auth.companyId, flowId);
        if (!flow) throw notFound('Flow');
        await limits?.checkStart(flow.companyId);
        return answer(request, reply, flow, { ...(request.query as Record<string, unknown>) });
      },
    });
  });

  async function answer(request: FastifyRequest, reply: FastifyReply, flow: FlowHead, query: Record<string, unknown>) {
    const { version, callback } = await deployedCallback(flow);
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const input = payloadOf(request, raw, query, version);
    const { run } = await store.createRun(flow.companyId, {
      flowId: flow.id,
      versionId: version.id,
      trigger: 'callback',
      priority: flow.priority,
      // Someone is waiting on the line: the run goes ahead of queued work, as a manual start does.
      expedite: true,
      input,
    });
    enqueueRun(queue, run, request.weftTraceparent, (obj, msg) => app.log.warn(obj, msg));
    reply.header(RUN_ID_HEADER, run.id);

    const timeoutMs = (callback.timeout_seconds ?? CALLBACK_TIMEOUT_DEFAULT_SECONDS) * 1000;
    const found = await waitForAnswer(run, version, callback, timeoutMs, reply);
    reply.status(found.status).type(found.contentType);
    return reply.send(found.body);
  }

  async function waitForAnswer(
    run: Run,
    version: FlowVersion,
    callback: NonNullable<TriggerConfig['callback']>,
    timeoutMs: number,
    reply: FastifyReply,
  ) {
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    // In one process the worker's events say when to look again; elsewhere the poll does.
    const unsubscribe = events.subscribe(run.id, () => wake?.());
    const gone = new AbortController();
    // The client hung up: stop waiting (the run goes on).
    reply.raw.once('close', () => gone.abort());
    try {
      let pauseMs = POLL_FIRST_MS;
      for (;;) {
        const found = await readCallbackAnswer(store, run, version.definition, callback);
        if (found) return found;
        const current = await store.getRun(run.companyId, run.id);
        if (current && TERMINAL_RUN_STATUSES.includes(current.status)) {
          // The callback step may have completed just before the run ended: one last look.
          const last = await readCallbackAnswer(store, current, version.definition, callback);
          if (last) return last;
          throw new AppError(
            'CALLBACK_NOT_ANSWERED',
            `The run ${run.id} ended ${current.status} without reaching a callback step${current.error ? ` (${current.error})` : ''}; see its log.`,
          );
        }
        const left = deadline - Date.now();
        if (left <= 0 || gone.signal.aborted) {
          throw new AppError(
            'CALLBACK_TIMEOUT',
            `The run ${run.id} did not reach a callback step within ${Math.round(timeoutMs / 1000)} s; it goes on, look it up by its id.`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pauseMs, left));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        pauseMs = Math.min(POLL_MAX_MS, pauseMs * 2);
      }
    } finally {
      unsubscribe();
    }
  }

  async function deployedCallback(flow: FlowHead): Promise<{ version: FlowVersion; callback: NonNullable<TriggerConfig['callback']> }> {
    if (!flow.enabled) throw new AppError('FLOW_DISABLED', `Flow "${flow.name}" is disabled; enable it to answer callbacks.`);
    const version = flow.deployedVersionId === null ? undefined : await store.getVersion(flow.companyId, flow.deployedVersionId);
    const callback = version && triggerConfigOf(version.definition).callback;
    if (!version || callback?.enabled !== true) {
      throw new AppError(
        'FLOW_DISABLED',
        `Flow "${flow.name}" has no callback enabled; set callback.enabled on its trigger and deploy that version.`,
      );
    }
    if (callbackStepIds(version.definition).size === 0) {
      throw new AppError('FLOW_INVALID', `Flow "${flow.name}" has no callback step to answer with; add one and deploy.`);
    }
    return { version, callback };
  }
}
