import type { FormatCodec } from '../payload.js';

/** Plain text: the bytes as UTF-8. A structured value handed to a text payload is written as JSON. */
export const textCodec: FormatCodec = {
  parse(bytes: Buffer): unknown {
    return bytes.toString('utf8');
  },
  serialise(value: unknown): Buffer {
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (value === undefined || value === null) return Buffer.alloc(0);
    if (typeof value === 'object') return Buffer.from(JSON.stringify(value), 'utf8');
    return Buffer.from(String(value), 'utf8');
  },
};
