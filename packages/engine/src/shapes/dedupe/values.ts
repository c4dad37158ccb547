import { createHash } from 'node:crypto';
import { type CompiledPath, getOne } from '../../paths/index.js';

/** Values longer than this are stored as their SHA-256, so a pool's key stays small. */
export const MAX_STORED_VALUE_LENGTH = 512;

/** JSON with object keys sorted, so the same record always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The value a record is known by in a data pool: the field at `keyPath` (text as is, numbers and
 * booleans as text, structures as canonical JSON), or the whole record without a key path.
 * Undefined when the field is missing, null or empty: such a record cannot be compared.
 */
export function dedupeValue(record: unknown, keyPath: CompiledPath | undefined): string | undefined {
  const raw = keyPath === undefined ? record : getOne(record, keyPath);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = typeof raw === 'string' ? raw : typeof raw === 'object' ? canonicalJson(raw) : String(raw);
  return text.length > MAX_STORED_VALUE_LENGTH ? `sha256:${createHash('sha256').update(text).digest('hex')}` : text;
}
