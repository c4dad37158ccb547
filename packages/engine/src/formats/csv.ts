import { AppError } from '@weft/schema';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { assignKey } from '../paths/index.js';
import type { FormatCodec } from '../payload.js';

/**
 * CSV payloads (RFC 4180 quoting): the header row names the fields, every further row becomes
 * an object of strings, so a document is a list of row objects. Blank lines are skipped; a row
 * with a different number of fields than the header is an error, not silently padded.
 *
 * Writing takes a list of objects (or one object, as a single row); the columns are every key
 * in the order first seen, a missing or null value is an empty cell, a nested value is written
 * as JSON. Rows end with "\n".
 */
export const csvCodec: FormatCodec = {
  parse(bytes: Buffer): unknown {
    return parseCsv(bytes);
  },
  serialise(value: unknown): Buffer {
    return Buffer.from(writeCsv(value), 'utf8');
  },
};

/** The raw rows of a CSV text; throws AppError PAYLOAD_FORMAT_ERROR naming the line. */
export function csvRows(input: Buffer | string): string[][] {
  try {
    return parse(input, { bom: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new AppError('PAYLOAD_FORMAT_ERROR', `CSV payload does not parse: ${(err as Error).message}`, { cause: err });
  }
}

export function parseCsv(input: Buffer | string): Record<string, string>[] {
  const rows = csvRows(input);
  const header = rows[0];
  if (header === undefined) return [];
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new AppError('PAYLOAD_FORMAT_ERROR', `CSV payload's header names the column ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  const records: Record<string, string>[] = new Array(rows.length - 1);
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r] as string[];
    const record: Record<string, string> = {};
    for (let c = 0; c < header.length; c++) assignKey(record, header[c] as string, row[c]);
    records[r - 1] = record;
  }
  return records;
}

export function writeCsv(value: unknown): string {
  const records = Array.isArray(value) ? value : [value];
  const columns = new Map<string, number>();
  records.forEach((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      const what = Array.isArray(record) ? 'a list' : record === null ? 'null' : `a ${typeof record}`;
      throw new AppError('PAYLOAD_FORMAT_ERROR', `CSV output needs a list of objects (one per row); element ${i} is ${what}`);
    }
    for (const key of Object.keys(record)) if (!columns.has(key)) columns.set(key, columns.size);
  });
  if (columns.size === 0) return '';
  const names = [...columns.keys()];
  const rows: string[][] = [names];
  for (const record of records as Record<string, unknown>[]) {
    rows.push(names.map((name) => cell(Object.hasOwn(record, name) ? record[name] : undefined)));
  }
  return stringify(rows, { record_delimiter: 'unix' });
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
