import { createHash } from 'node:crypto';
import { detectFormat } from '@weft/engine';
import { AppError, type PayloadFormat, type RunTrigger } from '@weft/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { enqueueRun } from '../../queue/enqueue-run.js';
import type { PayloadInput, Run } from '../../store/types.js';
import { notFound } from '../errors.js';
import { runSummaryJson } from '../runs/serialize.js';
import { PayloadBytes } from './payload-bytes.js';

const META_PREFIX = 'x-weft-meta-';
const META_LIMIT_BYTES = 10 * 1024;
const RAW_FORMATS: Record<string, PayloadFormat> = { 'application/xml': 'xml', 'text/xml': 'xml', 'text/csv': 'csv', 'text/plain': 'text' };

/** Versions whose start facts are kept; a few per flow of the busiest companies. */
const KEPT_VERSIONS_MAX = 2000;

interface VersionFacts {
  flowId: string;
  format: PayloadFormat | undefined;
}

interface StartParams {
  flowId: string;
  versionId?: string;
}

/**
 * The inbound API (api.md §2). The answer is sent only after the run and its payload are
 * committed; the queue is told afterwards, and if that is lost the worker's reconciler finds
 * the run in the store.
 */
export async function startRoutes(app: FastifyInstance, config: Config, { store, queue, limits }: AppDeps): Promise<void> {
  const variants: Array<{ path: string; trigger: RunTrigger; raw: boolean }> = [];
  for (const trigger of ['api', 'manual'] as const) {
    const verb = trigger === 'api' ? 'start' : 'manual';
    for (const raw of [false, true]) {
      const base = `/api/v1/flows/:flowId/${verb}${raw ? '/raw' : ''}`;
      variants.push({ path: base, trigger, raw }, { path: `${base}/:versionId`, trigger, raw });
    }
  }
  for (const v of variants) {
    app.post(
      v.path,
      {
        config: { access: 'write', payloadAsBytes: !v.raw },
        schema: {
          tags: ['start'],
          summary: `${v.trigger === 'api' ? 'Start' : 'Run now (manual)'}${v.raw ? ' with a raw body' : ''}${v.path.endsWith(':versionId') ? ', a given version' : ', the deployed version'}`,
        },
      },
      async (request) => {
        const params = request.params as StartParams;
        const { run, replayed } = await start(request, params, v.trigger, v.raw);
        return { message: 'Flow initialised.', flow_run_id: run.id, data: runSummaryJson(run, replayed) };
      },
    );
  }

  /**
   * What a start needs of a version: its flow and its payload format. A version that is no longer
   * a draft never changes, so those are kept by (company, version) and a start reads only its
   * flow (enabled, deployed version) fresh: one store read instead of two, and no definition copied.
   */
  const keptVersions = new Map<string, VersionFacts>();
  async function versionFacts(companyId: string, versionId: string): Promise<VersionFacts | undefined> {
    const key = `${companyId}/${versionId}`;
    const kept = keptVersions.get(key);
    if (kept !== undefined) return kept;
    const version = await store.getVersion(companyId, versionId);
    if (version === undefined) return undefined;
    const facts: VersionFacts = { flowId: version.flowId, format: version.definition.format };
    if (version.status !== 'draft') {
      if (keptVersions.size >= KEPT_VERSIONS_MAX) keptVersions.delete(keptVersions.keys().next().value as string);
      keptVersions.set(key, facts);
    }
    return facts;
  }

  async function start(request: FastifyRequest, params: StartParams, trigger: RunTrigger, raw: boolean) {
    const companyId = request.auth.companyId;
    // Per-company start rate and queued-runs allowance: in memory on the usual path (limits/).
    const admitted = limits?.checkStart(companyId);
    if (admitted !== undefined) await admitted;
    const meta = readMeta(request);
    const { body, variables } = raw ? rawBody(request) : standardBody(request, trigger);
    const idempotencyKey = readIdempotencyKey(request);

    const flow = await store.getFlowHead(companyId, params.flowId);
    if (!flow) throw notFound('Flow');
    let versionId = params.versionId;
    if (versionId === undefined) {
      if (!flow.deployedVersionId)
        throw new AppError('NO_DEPLOYED_VERSION', `Flow "${flow.name}" has no deployed version; deploy one or name a version in the URL.`);
      versionId = flow.deployedVersionId;
    }
    if (trigger === 'api' && !flow.enabled)
      throw new AppError('FLOW_DISABLED', `Flow "${flow.name}" is disabled; enable it, or use the manual endpoint.`);
    const version = await versionFacts(companyId, versionId);
    if (!version || version.flowId !== flow.id) throw notFound('Flow version');

    const input: PayloadInput = {
      format: body.format ?? (body.bytes.length === 0 ? 'text' : (version.format ?? detect(body.bytes))),
      meta,
      body: body.bytes,
    };
    // Whatever the format is called, markup that declares a DOCTYPE or entities is refused (quality.md §2).
    if (input.format === 'xml' || looksLikeMarkup(body.bytes)) refuseDangerousXml(body.bytes);

    const { run, replayed } = await store.createRun(companyId, {
      flowId: flow.id,
      versionId,
      trigger,
      priority: flow.priority,
      expedite: trigger === 'manual',
      input,
      variables,
      idempotency: idempotencyKey ? { key: idempotencyKey, requestHash: requestHash(request, body.bytes, raw, input.format) } : undefined,
    });
    // Fault injection for the end-to-end tests: the process dies between commit and enqueue.
    if (config.testFault === 'exit-after-commit' && !replayed) process.kill(process.pid, 'SIGKILL');
    if (!replayed) enqueueRun(queue, run, request.weftTraceparent, (obj, msg) => app.log.warn(obj, msg));
    return { run, replayed };
  }
}

export function detect(bytes: Buffer): PayloadFormat {
  try {
    return detectFormat(bytes);
  } catch (err) {
    if (err instanceof AppError) throw err;
    return 'text';
  }
}

export function looksLikeMarkup(bytes: Buffer): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x3c;
  }
  return false;
}

/** quality.md §2: XML with a DOCTYPE, entities or external references is refused at the door. */
export function refuseDangerousXml(bytes: Buffer): void {
  const head = bytes.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY|<!\[CDATA\[[^\]]*SYSTEM/i.test(head)) {
    throw new AppError('XML_REFUSED', 'XML payloads may not contain a DOCTYPE, entity declarations or external references.', {
      details: { payload: ['XML with DOCTYPE or ENTITY declarations is refused'] },
    });
  }
}

function standardBody(
  request: FastifyRequest,
  trigger: RunTrigger,
): { body: { bytes: Buffer; format?: PayloadFormat }; variables?: Record<string, string> } {
  const ct = contentType(request);
  if (ct !== undefined && ct !== 'application/json') {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `The standard start endpoint takes application/json with a "payload" string; for ${ct} use the /raw endpoint.`,
    );
  }
  const value = request.body;
  if (value === undefined || value === null) return { body: { bytes: Buffer.alloc(0) } };
  // A large body of just {"payload": "…"}, already decoded to its bytes by the JSON parser (app.ts).
  if (value instanceof PayloadBytes) return { body: { bytes: value.bytes } };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { body: ['must be an object with a "payload" string; send other JSON to the /raw endpoint'] },
    });
  }
  const obj = value as Record<string, unknown>;
  const details: Record<string, string[]> = {};
  const allowed = trigger === 'manual' ? ['payload', 'variables'] : ['payload'];
  for (const key of Object.keys(obj))
    if (!allowed.includes(key)) details[key] = [`unknown field "${key}"; the payload goes under "payload" as a string`];
  if ('payload' in obj && typeof obj.payload !== 'string')
    details.payload = ['must be a string (stringify JSON, or send XML, CSV or text as a string)'];
  const variables = readVariables(obj.variables, details);
  if (Object.keys(details).length > 0) throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details });
  return { body: { bytes: Buffer.from((obj.payload as string | undefined) ?? '', 'utf8') }, variables };
}

function readVariables(value: unknown, details: Record<string, string[]>): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    details.variables = ['must be an object of variable name to string value'];
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') details[`variables.${k}`] = ['must be a string'];
    else out[k] = v;
  }
  return out;
}

function rawBody(request: FastifyRequest): { body: { bytes: Buffer; format?: PayloadFormat }; variables?: undefined } {
  const ct = contentType(request);
  const value = request.body;
  if (ct === undefined || value === undefined) return { body: { bytes: Buffer.alloc(0) } };
  if (ct === 'application/json') return { body: { bytes: Buffer.from(JSON.stringify(value), 'utf8'), format: 'json' } };
  const format = RAW_FORMATS[ct];
  if (!format || !Buffer.isBuffer(value))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${ct} is not supported; send JSON, XML, CSV or plain text.`);
  return { body: { bytes: value, format } };
}

function contentType(request: FastifyRequest): string | undefined {
  const raw = request.headers['content-type'];
  if (!raw) return undefined;
  return raw.split(';')[0]!.trim().toLowerCase();
}

export function readMeta(request: FastifyRequest): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    const key = name.slice(META_PREFIX.length);
    const v = Array.isArray(value) ? value.join(', ') : value;
    size += key.length + v.length;
    meta[key] = v;
  }
  if (size > META_LIMIT_BYTES) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { meta: [`X-Weft-Meta-* headers may hold at most ${META_LIMIT_BYTES} bytes in total`] },
    });
  }
  return meta;
}

function readIdempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (!key || key.length > 255) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { 'Idempotency-Key': ['must be 1 to 255 characters'] },
    });
  }
  return key;
}

/** What makes two requests "the same" for an idempotency key: endpoint, version and body. */
function requestHash(request: FastifyRequest, bytes: Buffer, raw: boolean, format: PayloadFormat): string {
  return createHash('sha256')
    .update(request.routeOptions.url ?? '')
    .update('\0')
    .update((request.params as StartParams).flowId)
    .update('\0')
    .update((request.params as StartParams).versionId ?? '')
    .update('\0')
    .update(raw ? 'raw' : 'std')
    .update(format)
    .update('\0')
    .update(bytes)
    .digest('hex');
}

export type { Run };
