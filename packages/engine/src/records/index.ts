import { AppError, isAppError, type PayloadFormat } from '@weft/schema';
// Shapes that read records parse payloads, so the codecs must be registered wherever they are used.
import '../formats/index.js';
import { assignKey, childOf, compilePath, type KeySegment } from '../paths/index.js';
import { Payload } from '../payload.js';

/**
 * The list of records a filter, flow_control or split step works on: `path` names it, `*` (or
 * "") is the payload itself, and `orders.*` means the same as `orders`.
 */
export interface RecordsPath {
  text: string;
  /** Key segments from the root to the list; empty for the payload itself. */
  segments: readonly KeySegment[];
}

export function recordsPath(path: string | undefined): RecordsPath {
  const text = path ?? '*';
  const compiled = compilePath(text === '*' ? '' : text);
  const segments = [...compiled.segments];
  if (segments.at(-1)?.kind === 'wildcard') segments.pop();
  if (segments.some((s) => s.kind === 'wildcard')) {
    throw new AppError('FLOW_INVALID', `path ${JSON.stringify(text)} may use "*" only as its last segment`);
  }
  return { text, segments: segments as KeySegment[] };
}

/** What a records path finds in one document. */
export type Located =
  /** A list; `single` when the path held one object, taken as a list of one (XML elements that occur once). */
  { kind: 'list'; records: readonly unknown[]; single: boolean } | { kind: 'missing' };

/**
 * The parsed value of a payload for a shape that needs structure. A text payload cannot hold
 * records, so it fails with a message that says so instead of treating its characters as data.
 */
export function structuredValue(payload: Payload, shape: string, position: string): unknown {
  if (payload.format === 'text') {
    throw new AppError(
      'PAYLOAD_STRUCTURE_ERROR',
      `${shape} needs structured data (json, xml or csv), but ${position} is text; set the format where the data comes in, or map it first`,
    );
  }
  try {
    return payload.value();
  } catch (err) {
    if (!isAppError(err)) throw err;
    throw new AppError(err.code, `${position}: ${err.message}`, { cause: err });
  }
}

/** Finds the records at `path`; throws PAYLOAD_STRUCTURE_ERROR when the path holds a plain value. */
export function locateRecords(root: unknown, path: RecordsPath, shape: string, position: string): Located {
  let node = root;
  for (const segment of path.segments) {
    node = childOf(node, segment);
    if (node === undefined) return { kind: 'missing' };
  }
  if (Array.isArray(node)) return { kind: 'list', records: node, single: false };
  if (typeof node === 'object' && node !== null) return { kind: 'list', records: [node], single: true };
  if (node === null) return { kind: 'missing' };
  const where = path.segments.length === 0 ? 'the payload' : `path ${JSON.stringify(path.text)}`;
  throw new AppError(
    'PAYLOAD_STRUCTURE_ERROR',
    `${shape}: ${where} in ${position} holds ${describe(node)}, not a list of records; point path at a list`,
  );
}

/**
 * A copy of `root` with the value at `path` replaced; only the containers along the path are
 * copied, so the input document (which other branches may share) is never changed.
 */
export function replaceRecords(root: unknown, path: RecordsPath, value: unknown): unknown {
  return replaceAt(root, path.segments, 0, value);
}

function replaceAt(node: unknown, segments: readonly KeySegment[], pos: number, value: unknown): unknown {
  if (pos === segments.length) return value;
  const segment = segments[pos] as KeySegment;
  if (Array.isArray(node)) {
    const copy = node.slice();
    copy[segment.index] = replaceAt(node[segment.index], segments, pos + 1, value);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(node as Record<string, unknown>) };
  assignKey(copy, segment.key, replaceAt(childOf(node, segment), segments, pos + 1, value));
  return copy;
}

/** "payload 2 of 5", or "the payload" when the bucket holds one. */
export function payloadPosition(index: number, total: number): string {
  return total === 1 ? 'the payload' : `payload ${index + 1} of ${total}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === 'number' ? 'the number' : 'the value'} ${String(value)}`;
}

/**
 * A payload of a new document in `format`. XML and CSV are written at once, so a document the
 * format cannot hold (a bare value as CSV) fails this step, not the journal after it.
 */
export function documentPayload(
  value: unknown,
  format: PayloadFormat,
  meta: Record<string, string>,
  shape: string,
  position: string,
): Payload {
  const payload = Payload.fromValue(value, format, meta);
  if (format === 'xml' || format === 'csv') {
    try {
      payload.bytes();
    } catch (err) {
      const message = isAppError(err) ? err.message : String(err);
      throw new AppError('PAYLOAD_STRUCTURE_ERROR', `${shape}: ${position} cannot be written as ${format}: ${message}`, { cause: err });
    }
  }
  return payload;
}
