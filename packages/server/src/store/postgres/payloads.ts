import { createHash } from 'node:crypto';
import { newId } from '../ids.js';
import type { PayloadInput } from '../types.js';
import type { PostgresContext } from './context.js';

/** A payload ready for its row: hashed, and marked for payload_blobs when over the inline limit. */
export interface PreparedPayload {
  id: string;
  format: string;
  /** JSON text of the meta object (bound to a json column). */
  meta: string;
  bytes: number;
  sha256: string;
  body: Buffer;
  inline: boolean;
}

export function preparePayload(ctx: PostgresContext, input: PayloadInput): PreparedPayload {
  return {
    id: newId(),
    format: input.format,
    meta: JSON.stringify(input.meta),
    bytes: input.body.length,
    sha256: createHash('sha256').update(input.body).digest('hex'),
    body: input.body,
    inline: input.body.length <= ctx.inlinePayloadMaxBytes,
  };
}
