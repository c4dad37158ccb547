import { AppError, DATA_POOL_RETENTION_DAYS } from '@weft/schema';

/** Days an append's marker is kept: a step is retried within minutes, never a week later. */
export const APPEND_MARKER_DAYS = 7;

/** The instant before which a data pool value counts as never seen. */
export function retentionCutoff(nowMs: number = Date.now()): string {
  return new Date(nowMs - DATA_POOL_RETENTION_DAYS * 24 * 3600 * 1000).toISOString();
}

export function appendMarkerCutoff(nowMs: number = Date.now()): string {
  return new Date(nowMs - APPEND_MARKER_DAYS * 24 * 3600 * 1000).toISOString();
}

function firstNonSpace(buf: Buffer, from: number, step: 1 | -1): number {
  let i = from;
  while (i >= 0 && i < buf.length) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i += step;
  }
  return -1;
}

/** [start, end] of the brackets of a JSON array's text, or undefined when the text is not an array. */
function arrayBounds(buf: Buffer): [number, number] | undefined {
  const start = firstNonSpace(buf, 0, 1);
  const end = firstNonSpace(buf, buf.length - 1, -1);
  if (start < 0 || buf[start] !== 0x5b || buf[end] !== 0x5d || end <= start) return undefined;
  return [start, end];
}

/**
 * The stored JSON array with the elements of `items` (a JSON array) at its end, joined as text:
 * an append to a large entry neither parses nor re-serialises what is already stored.
 */
export function appendJsonArray(existing: Buffer, items: Buffer, cacheName: string, key: string, format = 'json'): Buffer {
  const stored = format === 'json' ? arrayBounds(existing) : undefined;
  if (stored === undefined) {
    throw new AppError(
      'PAYLOAD_STRUCTURE_ERROR',
      `cache "${cacheName}" entry "${key}" is not a JSON array, so nothing can be appended to it; write it without append first, or use another key`,
      { retryable: false },
    );
  }
  const added = arrayBounds(items);
  if (added === undefined) throw new AppError('INTERNAL', 'append needs a JSON array of items');
  const storedEmpty = firstNonSpace(existing, stored[0] + 1, 1) === stored[1];
  const addedEmpty = firstNonSpace(items, added[0] + 1, 1) === added[1];
  if (storedEmpty) return items;
  if (addedEmpty) return existing;
  return Buffer.concat([existing.subarray(0, stored[1]), Buffer.from(','), items.subarray(added[0] + 1, added[1] + 1)]);
}

export function cacheFull(cacheName: string, bytes: number, maxBytes: number): AppError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new AppError(
    'CACHE_FULL',
    `cache "${cacheName}" would hold ${mb(bytes)} after this write, over its limit of ${mb(maxBytes)}; nothing was written. Give entries a ttl, clear the cache, or store less`,
    { retryable: false },
  );
}

export function poolNameTaken(name: string): AppError {
  return new AppError('CONFLICT', `A data pool named "${name}" exists already; choose another name.`, {
    details: { name: ['is taken by another data pool'] },
    status: 422,
  });
}
