import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { AppError, type PayloadFormat, type TriggerConfig } from '@weft/schema';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { enqueueRun } from '../../queue/enqueue-run.js';
import { hashWebhookSecret, triggerConfigOf } from '../../store/trigger-config.js';
import type { FlowHead, FlowVersion, PayloadInput, Store } from '../../store/types.js';
import { notFound } from '../errors.js';
import { parseJsonBody } from '../json-body.js';
import { detect, looksLikeMarkup, readMeta, refuseDangerousXml } from '../start/routes.js';

const FlowId = Type.Object({ flowId: Type.String({ minLength: 1, maxLength: 64 }) });
const WebhookParams = Type.Object({
  companyId: Type.String({ minLength: 1, maxLength: 64 }),
  flowId: Type.String({ minLength: 1, maxLength: 64 }),
});

const FORMATS_BY_TYPE: Record<string, PayloadFormat> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'text/csv': 'csv',
  'text/plain': 'text',
};
const TYPES_BY_FORMAT: Record<string, string> = {
  json: 'application/json',
  xml: 'application/xml',
  csv: 'text/csv',
  text: 'text/plain',
  txt: 'text/plain',
};

export function webhookUrl(companyId: string, flowId: string, secret: string): string {
  return `/api/v1/webhooks/${encodeURIComponent(companyId)}/${encodeURIComponent(flowId)}?signature=${encodeURIComponent(secret)}`;
}

/**
 * The webhook trigger (spec/flows.md §5): a public URL, authenticated by the flow's secret in the
 * query string, that starts a run of the deployed version with the request body (or, without one,
 * the query parameters) as its payload. Every "who are you" failure answers the same 404, so the
 * URL gives away neither which companies nor which flows exist.
 */
export async function webhookRoutes(app: FastifyInstance, _config: Config, { store, queue, limits }: AppDeps): Promise<void> {
  app.post(
    '/api/v1/flows/:flowId/webhook',
    {
      config: { access: 'write' },
      schema: {
        tags: ['flows'],
        summary: 'Create or rotate the webhook secret',
        description: 'Answers the webhook URL with its new secret, shown this once; the previous secret stops working.',
        params: FlowId,
      },
    },
    async (request) => {
      const { flowId } = request.params as { flowId: string };
      const companyId = request.auth.companyId;
      const secret = await store.rotateWebhookSecret(companyId, flowId);
      if (secret === undefined) throw notFound('Flow');
      return { data: { url: webhookUrl(companyId, flowId, secret), secret } };
    },
  );

  // Its own scope, so every content type arrives as the bytes sent: the HMAC is over those bytes.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.route({
      method: ['GET', 'POST'],
      url: '/api/v1/webhooks/:companyId/:flowId',
      config: { access: false },
      schema: {
        tags: ['start'],
        summary: 'Start the deployed version from a webhook',
        description:
          'Authenticated by `?signature=<secret>`. The body (else the query parameters as a JSON object) becomes the payload; with `webhook.hmac_secret` set, `X-Weft-Signature: sha256=<hex>` of the body is required.',
        params: WebhookParams,
        security: [],
      },
      handler: (request, reply) => receive(request, reply),
    });
  });

  async function receive(request: FastifyRequest, reply: FastifyReply) {
    const { flow, query } = await signedFlow(store, request, 'Webhook');
    const companyId = flow.companyId;
    // Counted only once the caller proved the secret: strangers cannot spend a company's allowance.
    const admitted = limits?.checkWebhook(companyId);
    if (admitted !== undefined) await admitted;

    const { version, webhook } = await deployedWebhook(flow);
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (webhook.hmac_secret) checkHmac(request, raw, webhook.hmac_secret);

    const input = payloadOf(request, raw, query, version);
    const { run, replayed } = await store.createRun(companyId, {
      flowId: flow.id,
      versionId: version.id,
      trigger: 'webhook',
      priority: flow.priority,
      expedite: false,
      input,
    });
    if (!replayed) enqueueRun(queue, run, request.weftTraceparent, (obj, msg) => app.log.warn(obj, msg));

    const response = webhook.response ?? {};
    reply.status(response.status ?? 200);
    if (response.body === undefined) return { message: 'Flow initialised.', flow_run_id: run.id };
    const type = TYPES_BY_FORMAT[(response.format ?? 'text').toLowerCase()] ?? 'text/plain';
    reply.type(`${type}; charset=utf-8`);
    return response.body.replaceAll('{{flow_run_id}}', run.id);
  }

  async function deployedWebhook(flow: FlowHead): Promise<{ version: FlowVersion; webhook: NonNullable<TriggerConfig['webhook']> }> {
    if (!flow.enabled) throw new AppError('FLOW_DISABLED', `Flow "${flow.name}" is disabled; enable it to receive webhooks.`);
    const version = flow.deployedVersionId === null ? undefined : await store.getVersion(flow.companyId, flow.deployedVersionId);
    const webhook = version && triggerConfigOf(version.definition).webhook;
    if (!version || webhook?.enabled !== true) {
      throw new AppError(
        'FLOW_DISABLED',
        `Flow "${flow.name}" has no webhook enabled; set webhook.enabled on its trigger and deploy that version.`,
      );
    }
    return { version, webhook };
  }
}

function checkHmac(request: FastifyRequest, raw: Buffer, key: string): void {
  const header = request.headers['x-weft-signature'];
  const given = Buffer.from((Array.isArray(header) ? header[0] : header) ?? '', 'utf8');
  const expected = Buffer.from(`sha256=${createHmac('sha256', key).update(raw).digest('hex')}`, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('UNAUTHENTICATED', 'The X-Weft-Signature header is missing or does not match the body (sha256=<hex HMAC-SHA256>).');
  }
}

/**
 * The flow a public URL names (`/:companyId/:flowId?signature=<secret>`), once the signature is the
 * flow's webhook secret, and the query without the signature. Any mismatch is the same 404 as an
 * unknown flow, so a stranger learns nothing.
 */
export async function signedFlow(
  store: Store,
  request: FastifyRequest,
  thing: string,
): Promise<{ flow: FlowHead; query: Record<string, unknown> }> {
  const { companyId, flowId } = request.params as { companyId: string; flowId: string };
  const query = { ...(request.query as Record<string, unknown>) };
  const signature = typeof query.signature === 'string' ? query.signature : '';
  delete query.signature;
  const flow = signature === '' ? undefined : await store.verifyWebhook(companyId, flowId, hashWebhookSecret(signature));
  if (!flow) throw notFound(thing);
  return { flow, query };
}

/** The body as sent; without one, the query parameters (bar the secret) as a JSON object; else empty. */
export function payloadOf(request: FastifyRequest, raw: Buffer, query: Record<string, unknown>, version: FlowVersion): PayloadInput {
  const meta = readMeta(request);
  if (request.method === 'GET' || raw.length === 0) {
    if (Object.keys(query).length === 0) return { format: 'text', meta, body: Buffer.alloc(0) };
    return { format: 'json', meta, body: Buffer.from(JSON.stringify(query), 'utf8') };
  }
  const ct = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  let format: PayloadFormat | undefined = ct === undefined ? undefined : FORMATS_BY_TYPE[ct];
  if (ct?.endsWith('+json')) format = 'json';
  if (ct?.endsWith('+xml')) format = 'xml';
  if (ct === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    return { format: 'json', meta, body: Buffer.from(JSON.stringify(form), 'utf8') };
  }
  // Refused here as at the start endpoint: bad JSON and dangerous XML never reach a run.
  if (format === 'json') parseJsonBody(raw.toString('utf8'));
  format ??= version.definition.format ?? detect(raw);
  if (format === 'xml' || looksLikeMarkup(raw)) refuseDangerousXml(raw);
  return { format, meta, body: raw };
}
