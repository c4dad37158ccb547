import type { CallbackConfig, FlowDefinition, PayloadFormat, TriggerConfig } from '@weft/schema';
import type { Run, Store } from '../../store/types.js';

const TYPES_BY_FORMAT: Record<PayloadFormat, string> = {
  json: 'application/json',
  xml: 'application/xml',
  csv: 'text/csv',
  text: 'text/plain',
};

/** What a callback request is answered with: the first callback step's output. */
export interface CallbackAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** The ids of the definition's callback steps. */
export function callbackStepIds(definition: FlowDefinition): Set<string> {
  return new Set(definition.steps.filter((s) => s.shape === 'callback').map((s) => s.id));
}

/**
 * The answer, once the run's first callback step has journalled its output; undefined before.
 * Read from the store, so it works whichever process runs the worker.
 */
export async function readCallbackAnswer(
  store: Store,
  run: Run,
  definition: FlowDefinition,
  trigger: TriggerConfig['callback'],
): Promise<CallbackAnswer | undefined> {
  const steps = callbackStepIds(definition);
  const record = (await store.loadJournal(run.id)).find((r) => r.status === 'success' && steps.has(r.stepId));
  if (record === undefined) return undefined;
  const config = (definition.steps.find((s) => s.id === record.stepId)?.config ?? {}) as CallbackConfig;
  const ids = Object.values(record.outputs).flat();
  const payloads = ids.length === 0 ? [] : await store.loadPayloads(run.id, ids);
  const first = payloads[0];
  const contentType =
    config.content_type ??
    trigger?.content_type ??
    `${TYPES_BY_FORMAT[first?.format ?? 'json'] ?? 'application/octet-stream'}; charset=utf-8`;
  return { status: config.status ?? 200, contentType, body: joinBodies(payloads) };
}

/**
 * One payload answers as its bytes. Several JSON payloads answer as one JSON array of them;
 * several of another format as their bytes, a line break between. None: an empty body.
 */
function joinBodies(payloads: ReadonlyArray<{ format: PayloadFormat; body: Buffer }>): Buffer {
  if (payloads.length === 0) return Buffer.alloc(0);
  if (payloads.length === 1) return payloads[0]!.body;
  if (payloads.every((p) => p.format === 'json')) {
    const items = payloads.map((p) => (p.body.length === 0 ? 'null' : p.body.toString('utf8')));
    return Buffer.from(`[${items.join(',')}]`, 'utf8');
  }
  const parts: Buffer[] = [];
  payloads.forEach((p, i) => {
    if (i > 0) parts.push(Buffer.from('\n'));
    parts.push(p.body);
  });
  return Buffer.concat(parts);
}
