import { AppError, type TrackDataConfig } from '@weft/schema';
import type { TrackedValue } from '../../data-ports.js';
import { type CompiledPath, compilePath, getMatches } from '../../paths/index.js';
import { payloadPosition, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';

/** Longer values are not tracked (a search term is an id, a number, an email; not a document). */
export const TRACKED_VALUE_MAX_LENGTH = 500;
/** Pairs sent per call. */
const CHUNK = 1000;

const compiled = new WeakMap<TrackDataConfig, { path: CompiledPath; entity: string }[]>();

function fieldsOf(config: TrackDataConfig): { path: CompiledPath; entity: string }[] {
  let fields = compiled.get(config);
  if (fields === undefined) {
    fields = config.fields.map((f) => ({ path: compilePath(f.path), entity: f.entity }));
    compiled.set(config, fields);
  }
  return fields;
}

/**
 * The `track_data` shape (spec/flows.md §3): records the values at each field's path (every
 * match of a `*` path) under its entity, with the run, flow and step, for search later
 * (`GET /api/v1/tracked-data`). The bucket passes on unchanged.
 *
 * Text, numbers and booleans are tracked; missing, null, empty values and structures are not.
 * A text payload has no paths and is passed on with a warning. The same pair is recorded once
 * per step execution, also when the step is retried.
 */
export const trackDataShape: Shape<TrackDataConfig> = {
  name: 'track_data',
  async execute(ctx, input) {
    const port = ctx.services.trackedData;
    if (port === undefined)
      throw new AppError('STEP_FAILED', 'track_data: tracked data is not available in this engine', { retryable: false });
    const fields = fieldsOf(ctx.config);
    const pairs: TrackedValue[] = [];
    const seen = new Set<string>();
    let textPayloads = 0;
    let skipped = 0;
    for (const [index, payload] of input.entries()) {
      if (payload.format === 'text') {
        textPayloads++;
        continue;
      }
      const root = structuredValue(payload, 'track_data', payloadPosition(index, input.length));
      for (const field of fields) {
        for (const match of getMatches(root, field.path)) {
          const v = match.value;
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
          const value = String(v);
          if (value === '') continue;
          if (value.length > TRACKED_VALUE_MAX_LENGTH) {
            skipped++;
            continue;
          }
          const id = `${field.entity}\u0000${value}`;
          if (seen.has(id)) continue;
          seen.add(id);
          pairs.push({ entity: field.entity, value });
        }
      }
    }
    const context = { companyId: ctx.run.companyId, flowId: ctx.run.flowId, runId: ctx.run.id, stepId: ctx.step.id, itemKey: ctx.itemKey };
    for (let i = 0; i < pairs.length; i += CHUNK) await port.record(context, pairs.slice(i, i + CHUNK));
    ctx.log({ level: 'info', message: `track_data: ${pairs.length} value${pairs.length === 1 ? '' : 's'} tracked` });
    if (textPayloads > 0) {
      ctx.log({
        level: 'warning',
        message: `track_data: ${textPayloads} text payload${textPayloads === 1 ? '' : 's'} had no fields to track`,
      });
    }
    if (skipped > 0) {
      ctx.log({
        level: 'warning',
        message: `track_data: ${skipped} value${skipped === 1 ? '' : 's'} longer than ${TRACKED_VALUE_MAX_LENGTH} characters not tracked`,
      });
    }
    return { payloads: input };
  },
};
