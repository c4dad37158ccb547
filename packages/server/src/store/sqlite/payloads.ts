import { createHash } from 'node:crypto';
import { newId } from '../ids.js';
import type { PayloadInput } from '../types.js';
import type { SqliteContext } from './context.js';

/** A payload ready for its row: hashed, and when large already durable in its file. */
export interface PreparedPayload {
  id: string;
  format: string;
  meta: string;
  bytes: number;
  sha256: string;
  /** null: the bytes are in the payload file. */
  body: Buffer | null;
}

/**
 * Hashes the payload and, when it is over the inline limit, writes its file. Runs before the
 * transaction that inserts the row (files cannot take part in it), so the row never commits
 * ahead of its bytes.
 */
export async function preparePayload(ctx: SqliteContext, input: PayloadInput): Promise<PreparedPayload> {
  const sha256 = createHash('sha256').update(input.body).digest('hex');
  const inline = input.body.length <= ctx.inlinePayloadMaxBytes;
  if (!inline) await ctx.files.write(sha256, input.body);
  return {
    id: newId(),
    format: input.format,
    meta: JSON.stringify(input.meta),
    bytes: input.body.length,
    sha256,
    body: inline ? input.body : null,
  };
}

const INSERT_PAYLOAD_SQL =
  'INSERT INTO payloads (id, company_id, run_id, format, meta, bytes, sha256, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Inserts the row; call inside the transaction that makes the payload visible. */
export function insertPayload(ctx: SqliteContext, payload: PreparedPayload, companyId: string, runId: string, createdAt: string): void {
  ctx.db
    .statement(INSERT_PAYLOAD_SQL)
    .run(payload.id, companyId, runId, payload.format, payload.meta, payload.bytes, payload.sha256, payload.body, createdAt);
}
