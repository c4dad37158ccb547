import type { FilterConfig } from '@weft/schema';
import { type ConditionSet, compileConditions } from '../../conditions/index.js';
import { Payload } from '../../payload.js';
import { locateRecords, payloadPosition, type RecordsPath, recordsPath, replaceRecords, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';
import { runTemplateScope } from '../../templates/index.js';

interface CompiledFilter {
  path: RecordsPath;
  conditions: ConditionSet;
  keep: boolean;
}

// Compiled once per config: a step's config object lives as long as its version is cached.
const compiledFilters = new WeakMap<FilterConfig, CompiledFilter>();

function compile(config: FilterConfig): CompiledFilter {
  let compiled = compiledFilters.get(config);
  if (compiled === undefined) {
    compiled = {
      path: recordsPath(config.path),
      conditions: compileConditions(config.conditions, config.logic ?? 'and'),
      keep: (config.mode ?? 'keep') === 'keep',
    };
    compiledFilters.set(config, compiled);
  }
  return compiled;
}

/**
 * The `filter` shape (spec/flows.md §3): keeps (or removes) the records at `path` that match
 * the conditions, and writes the payload back in its own format.
 *
 * - A payload whose records all go, at the root, is dropped from the bucket: nothing is left to
 *   send. At a nested path the payload keeps its other data and an empty list.
 * - One object where a list is expected (an XML element that occurs once) counts as a list of one.
 * - A payload without anything at `path` passes unchanged, with a warning in the log, since a
 *   document without the list has no records to filter.
 */
export const filterShape: Shape<FilterConfig> = {
  name: 'filter',
  async execute(ctx, input) {
    const { path, conditions, keep } = compile(ctx.config);
    const run = runTemplateScope(ctx.run);
    const payloads: Payload[] = [];
    let missing = 0;
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      const root = structuredValue(payload, 'filter', position);
      const located = locateRecords(root, path, 'filter', position);
      if (located.kind === 'missing') {
        missing++;
        payloads.push(payload);
        continue;
      }
      const test = conditions.bind({ payload: () => root, meta: payload.meta, flow: ctx.variables, run });
      const kept = located.records.filter((record) => test(record) === keep);
      if (kept.length === located.records.length) {
        payloads.push(payload);
        continue;
      }
      if (kept.length === 0 && path.segments.length === 0) continue;
      // A single object that stays is left as it was, so an XML element keeps its shape.
      const records = located.single && kept.length === 1 ? kept[0] : kept;
      payloads.push(Payload.fromValue(replaceRecords(root, path, records), payload.format, payload.meta));
    }
    if (missing > 0) {
      ctx.log({
        level: 'warning',
        message: `filter: nothing at path ${JSON.stringify(path.text)} in ${missing} of ${input.length} payload${input.length === 1 ? '' : 's'}; passed on unchanged`,
      });
    }
    return { payloads };
  },
};
