import type { FlowControlConfig } from '@weft/schema';
import type { Payload } from '../../payload.js';
import { documentPayload, locateRecords, payloadPosition, recordsPath, replaceRecords, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';

/**
 * The `flow_control` shape (spec/flows.md §3): splits the records at `path` into batches of
 * `size`, one payload per batch. The rest of the document is kept around each batch, so an
 * envelope (`{"batch": "B7", "orders": [...]}`) or an XML root stays as the target expects it.
 *
 * - A batch of one is still a list unless `no_wrap_single` is set.
 * - An empty list makes no batches; a payload without anything at `path` passes unchanged, with
 *   a warning in the log.
 */
export const flowControlShape: Shape<FlowControlConfig> = {
  name: 'flow_control',
  async execute(ctx, input) {
    const { size, no_wrap_single: noWrapSingle = false } = ctx.config;
    const path = recordsPath(ctx.config.path);
    const payloads: Payload[] = [];
    let missing = 0;
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      const root = structuredValue(payload, 'flow_control', position);
      const located = locateRecords(root, path, 'flow_control', position);
      if (located.kind === 'missing') {
        missing++;
        payloads.push(payload);
        continue;
      }
      const { records } = located;
      if (records.length <= size && !located.single && !(noWrapSingle && records.length === 1)) {
        // One batch holding every record: the payload as it is.
        if (records.length > 0) payloads.push(payload);
        continue;
      }
      for (let start = 0; start < records.length; start += size) {
        const batch = records.slice(start, start + size);
        const value = noWrapSingle && batch.length === 1 ? batch[0] : batch;
        const where = `${position}, batch ${start / size + 1}`;
        payloads.push(documentPayload(replaceRecords(root, path, value), payload.format, payload.meta, 'flow_control', where));
      }
    }
    if (missing > 0) {
      ctx.log({
        level: 'warning',
        message: `flow_control: nothing at path ${JSON.stringify(path.text)} in ${missing} of ${input.length} payload${input.length === 1 ? '' : 's'}; passed on unchanged`,
      });
    }
    return { payloads };
  },
};
