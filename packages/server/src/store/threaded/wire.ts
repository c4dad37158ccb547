import { AppError, type ErrorCode } from '@weft/schema';

/** One store call: the method's name and its arguments, as the structured clone carries them. */
export interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}

export type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** What survives of an error on its way between threads (the structured clone drops classes). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  /** Set for AppError: enough to build the same AppError on the other side. */
  app?: { details?: AppError['details']; retryable: boolean; status: number; headers?: Record<string, string> };
}

export function toWireError(err: unknown): WireError {
  if (err instanceof AppError) {
    return {
      name: err.name,
      message: err.message,
      code: err.code,
      app: {
        retryable: err.retryable,
        status: err.status,
        ...(err.details !== undefined && { details: err.details }),
        ...(err.headers !== undefined && { headers: err.headers }),
      },
    };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' && { code }) };
  }
  return { name: 'Error', message: String(err) };
}

export function fromWireError(wire: WireError): Error {
  if (wire.app !== undefined && wire.code !== undefined) {
    return new AppError(wire.code as ErrorCode, wire.message, wire.app);
  }
  const err = wire.name === 'TypeError' ? new TypeError(wire.message) : new Error(wire.message);
  if (wire.name !== 'TypeError' && wire.name !== 'Error') err.name = wire.name;
  if (wire.code !== undefined) (err as Error & { code: string }).code = wire.code;
  return err;
}

/**
 * Buffers arrive on the other side of a thread as plain Uint8Arrays; the store and its callers
 * use Buffer methods (toString('utf8'), equals…), so every Uint8Array in a value becomes a Buffer
 * over the same memory again. Walks plain objects and arrays only, which is all the store passes.
 */
export function reviveBuffers(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object') value[i] = reviveBuffers(item);
    }
    return value;
  }
  if (value instanceof Map || value instanceof Set || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item === null || typeof item !== 'object') continue;
    const revived = reviveBuffers(item);
    // defineProperty, not assignment: a key "__proto__" (kept as data, e.g. in a payload's meta)
    // would otherwise set the object's prototype.
    if (revived !== item) Object.defineProperty(record, key, { value: revived, writable: true, enumerable: true, configurable: true });
  }
  return record;
}

/**
 * Makes a value cheap to post: the structured clone copies a Buffer's whole backing ArrayBuffer,
 * and most Buffers are views into bigger ones (Node's 8 KiB pool, a socket's 64 KiB read buffer),
 * so each small payload would drag kilobytes along. Views are replaced by exact copies, which are
 * then transferred rather than copied again. Containers on the way to a replaced view are copied
 * too; the caller's objects are never changed (it may still be using them).
 */
export function packBuffers(value: unknown, transfer: ArrayBuffer[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) {
    const copy = new Uint8Array(value.byteLength);
    copy.set(value);
    transfer.push(copy.buffer);
    return copy;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item !== 'object') continue;
      const packed = packBuffers(item, transfer);
      if (packed !== item) {
        out ??= value.slice();
        out[i] = packed;
      }
    }
    return out ?? value;
  }
  if (value instanceof Map || value instanceof Set || value instanceof Date || ArrayBuffer.isView(value)) return value;
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item === null || typeof item !== 'object') continue;
    const packed = packBuffers(item, transfer);
    if (packed !== item) {
      out ??= { ...record };
      Object.defineProperty(out, key, { value: packed, writable: true, enumerable: true, configurable: true });
    }
  }
  return out ?? record;
}
