import { parseCsv, writeCsv } from '@weft/engine';
import { AppError, isAppError } from '@weft/schema';
import type { DataPoolValue, DataPoolValueInput } from '../../store/data-types.js';

export const POOL_CSV_MAX_BYTES = 5 * 1024 * 1024;
export const POOL_VALUE_MAX_CHARS = 512;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: { [field]: [message] } });
}

/**
 * Values from CSV: a header naming `value`, optionally `first_seen` and `last_seen` (ISO 8601 with a
 * zone). Problems are refused whole, naming the line (the header is line 1).
 */
export function parsePoolCsv(text: string): DataPoolValueInput[] {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text);
  } catch (err) {
    throw invalid('csv', isAppError(err) ? err.message : String(err));
  }
  if (rows.length === 0) {
    if (text.trim() === '') throw invalid('csv', 'is empty; send a header row "value" and one value per line');
    if (!/(^|,)"?value"?(,|\r?\n|$)/.test(text.split(/\r?\n/)[0] ?? '')) throw invalid('csv', 'needs a header row with a "value" column');
    return [];
  }
  const first = rows[0] as Record<string, string>;
  if (!Object.hasOwn(first, 'value')) throw invalid('csv', 'needs a header row with a "value" column');
  const unknown = Object.keys(first).filter((c) => !['value', 'first_seen', 'last_seen'].includes(c));
  if (unknown.length > 0) throw invalid('csv', `has unknown columns ${unknown.join(', ')}; the columns are value, first_seen, last_seen`);
  return rows.map((row, i) => {
    const line = i + 2;
    const value = row.value ?? '';
    if (value === '') throw invalid(`csv.line ${line}`, 'has an empty value');
    if (value.length > POOL_VALUE_MAX_CHARS)
      throw invalid(`csv.line ${line}`, `has a value longer than ${POOL_VALUE_MAX_CHARS} characters`);
    const out: DataPoolValueInput = { value };
    for (const [column, key] of [
      ['first_seen', 'firstSeen'],
      ['last_seen', 'lastSeen'],
    ] as const) {
      const raw = row[column];
      if (raw === undefined || raw === '') continue;
      if (!ISO_8601.test(raw) || Number.isNaN(Date.parse(raw)))
        throw invalid(`csv.line ${line}`, `${column} must be an ISO 8601 timestamp, got "${raw}"`);
      out[key] = new Date(Date.parse(raw)).toISOString();
    }
    return out;
  });
}

export function writePoolCsv(values: readonly DataPoolValue[]): string {
  if (values.length === 0) return 'value,first_seen,last_seen\n';
  return writeCsv(values.map((v) => ({ value: v.value, first_seen: v.firstSeen, last_seen: v.lastSeen })));
}
