import { AppError, type DedupeConfig } from '@weft/schema';
import type { DataPoolPort } from '../../data-ports.js';
import { compilePath } from '../../paths/index.js';
import { Payload } from '../../payload.js';
import { type Located, locateRecords, payloadPosition, recordsPath, replaceRecords, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';
import { dedupeValue } from './values.js';

/** Values sent to the pool per call; each call is one transaction. */
export const DEDUPE_CHUNK = 1000;

interface Scanned {
  root: unknown;
  located: Located;
  /** The pool value of each record, undefined when it has none. */
  values: (string | undefined)[];
}

/**
 * The `dedupe` shape (spec/flows.md §3): compares the value at `key_field` of each record at
 * `path` with a data pool (created on first use).
 *
 * - `filter_and_track` (default): removes records whose value the pool has seen, and records the
 *   new ones; `filter` removes without recording; `track` records and removes nothing.
 * - A value repeated within the bucket is new only at its first record.
 * - The pool answers and records in one transaction, so of concurrent runs with the same new
 *   value exactly one keeps its record. A retry of the step sees the values its earlier attempt
 *   recorded as new again, so nothing is lost to a failure after the pool was written.
 * - An object where the list is expected is one record: the whole payload is kept or removed.
 *   Without path and key_field a text payload is one record too, compared by its text.
 * - Records without the key (missing, null, empty) pass, counted in a warning; payloads with
 *   nothing at `path` pass unchanged. A payload whose records all go, at the root, is dropped.
 */
export const dedupeShape: Shape<DedupeConfig> = {
  name: 'dedupe',
  async execute(ctx, input) {
    const port: DataPoolPort | undefined = ctx.services.dataPools;
    if (port === undefined) throw new AppError('STEP_FAILED', 'dedupe: data pools are not available in this engine', { retryable: false });
    const { config } = ctx;
    const behaviour = config.behaviour ?? 'filter_and_track';
    const path = recordsPath(config.path);
    const keyPath = config.key_field === undefined ? undefined : compilePath(config.key_field);

    const scanned: (Scanned | undefined)[] = [];
    const distinct: string[] = [];
    const firstAt = new Set<string>();
    let missingPath = 0;
    let missingKey = 0;
    let records = 0;
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      // A text payload has no records, but deduping whole payloads (no path, no key_field) compares its text.
      const wholeText = payload.format === 'text' && path.segments.length === 0 && keyPath === undefined;
      const root = wholeText ? payload.text() : structuredValue(payload, 'dedupe', position);
      const located: Located = wholeText ? { kind: 'list', records: [root], single: true } : locateRecords(root, path, 'dedupe', position);
      if (located.kind === 'missing') {
        missingPath++;
        scanned.push(undefined);
        continue;
      }
      const values = located.records.map((record) => dedupeValue(record, keyPath));
      for (const v of values) {
        records++;
        if (v === undefined) missingKey++;
        else if (!firstAt.has(v)) {
          firstAt.add(v);
          distinct.push(v);
        }
      }
      scanned.push({ root, located, values });
    }

    const fresh = new Set<string>();
    const opKey = `${ctx.run.id}:${ctx.itemKey}`;
    for (let i = 0; i < distinct.length; i += DEDUPE_CHUNK) {
      const chunk = distinct.slice(i, i + DEDUPE_CHUNK);
      const answers = await port.see(ctx.run.companyId, config.pool, chunk, { track: behaviour !== 'filter', opKey });
      chunk.forEach((v, j) => {
        if (answers[j] === true) fresh.add(v);
      });
    }

    const payloads: Payload[] = [];
    let removed = 0;
    const keptOnce = new Set<string>();
    for (const [index, payload] of input.entries()) {
      const scan = scanned[index];
      if (scan === undefined || behaviour === 'track' || scan.located.kind !== 'list') {
        payloads.push(payload);
        continue;
      }
      const { located } = scan;
      const kept = located.records.filter((_, i) => {
        const v = scan.values[i];
        if (v === undefined) return true;
        if (!fresh.has(v) || keptOnce.has(v)) return false;
        keptOnce.add(v);
        return true;
      });
      removed += located.records.length - kept.length;
      if (kept.length === located.records.length) {
        payloads.push(payload);
        continue;
      }
      if (kept.length === 0 && (path.segments.length === 0 || located.single)) continue;
      const value = located.single && kept.length === 1 ? kept[0] : kept;
      payloads.push(Payload.fromValue(replaceRecords(scan.root, path, value), payload.format, payload.meta));
    }

    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    ctx.log({
      level: 'info',
      message: `dedupe: ${plural(fresh.size, 'new value')} of ${distinct.length} in pool "${config.pool}"; ${plural(removed, 'record')} of ${records} removed (${behaviour})`,
    });
    if (missingKey > 0) {
      ctx.log({
        level: 'warning',
        message: `dedupe: ${plural(missingKey, 'record')} had no value at key_field ${JSON.stringify(config.key_field ?? '')} and passed unchecked`,
      });
    }
    if (missingPath > 0) {
      ctx.log({
        level: 'warning',
        message: `dedupe: nothing at path ${JSON.stringify(path.text)} in ${missingPath} of ${input.length} payload${input.length === 1 ? '' : 's'}; passed on unchanged`,
      });
    }
    return { payloads };
  },
};
