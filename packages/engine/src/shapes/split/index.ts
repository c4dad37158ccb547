import type { SplitConfig } from '@weft/schema';
import type { Payload } from '../../payload.js';
import { documentPayload, locateRecords, payloadPosition, recordsPath, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';

/**
 * The `split` shape (spec/flows.md §3): each element of the list at `path` becomes its own
 * payload, in the input's format, with the input's meta; with `wrapper_key` each payload is
 * `{ <wrapper_key>: element }`. An empty list, or nothing at `path`, makes no payloads (logged as
 * a warning when the path finds nothing).
 */
export const splitShape: Shape<SplitConfig> = {
  name: 'split',
  async execute(ctx, input) {
    const path = recordsPath(ctx.config.path);
    const wrapperKey = ctx.config.wrapper_key;
    const payloads: Payload[] = [];
    let missing = 0;
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      const located = locateRecords(structuredValue(payload, 'split', position), path, 'split', position);
      if (located.kind === 'missing') {
        missing++;
        continue;
      }
      located.records.forEach((element, i) => {
        // An own data property even for a key such as "__proto__".
        const value =
          wrapperKey === undefined
            ? element
            : Object.defineProperty({}, wrapperKey, { value: element, enumerable: true, writable: true, configurable: true });
        payloads.push(documentPayload(value, payload.format, payload.meta, 'split', `${position}, element ${i + 1}`));
      });
    }
    if (missing > 0) {
      ctx.log({
        level: 'warning',
        message: `split: nothing at path ${JSON.stringify(path.text)} in ${missing} of ${input.length} payload${input.length === 1 ? '' : 's'}; nothing to split there`,
      });
    }
    return { payloads };
  },
};
