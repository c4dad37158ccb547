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

/** Adds a value to a statement being built and returns its placeholder. */
export type Param = (value: unknown) => string;

/**
 * The data-modifying CTEs that insert these payloads and, for large bodies, their blobs. A blob
 * already stored by any run is kept as it is: content-addressed, written once. The payload row and
 * its blob commit in the same transaction, so a committed row never names a missing body.
 */
export function payloadInserts(payloads: PreparedPayload[], companyId: string, runId: string, createdAt: string, param: Param): string[] {
  if (payloads.length === 0) return [];
  const company = param(companyId);
  const run = param(runId);
  const at = `${param(createdAt)}::timestamptz`;
  const rows = payloads.map(
    (p) =>
      `(${param(p.id)}::text, ${company}::text, ${run}::text, ${param(p.format)}::text, ${param(p.meta)}::json, ${param(p.bytes)}::bigint, ${param(
        p.sha256,
      )}::text, ${p.inline ? `${param(p.body)}::bytea` : 'NULL::bytea'}, ${at})`,
  );
  const parts = [`INSERT INTO payloads (id, company_id, run_id, format, meta, bytes, sha256, body, created_at) VALUES ${rows.join(', ')}`];
  const blobs = new Map<string, PreparedPayload>();
  for (const p of payloads) if (!p.inline) blobs.set(p.sha256, p);
  if (blobs.size > 0) {
    const blobRows = [...blobs.values()].map(
      (p) => `(${param(p.sha256)}::text, ${param(p.bytes)}::bigint, ${param(p.body)}::bytea, ${at})`,
    );
    parts.push(`INSERT INTO payload_blobs (sha256, bytes, body, created_at) VALUES ${blobRows.join(', ')} ON CONFLICT (sha256) DO NOTHING`);
  }
  return parts;
}
