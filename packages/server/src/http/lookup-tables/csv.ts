import { AppError } from '@weft/schema';
import type { LookupRow } from '../../store/lookup-types.js';

/** The largest CSV import accepted (spec: lookup tables import and export CSV up to 5 MB). */
export const LOOKUP_CSV_MAX_BYTES = 5 * 1024 * 1024;
export const LOOKUP_VALUE_MAX_CHARS = 4096;
export const LOOKUP_ROWS_MAX = 100_000;

function refuse(line: number, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `The CSV is invalid at line ${line}: ${message}.`, {
    details: { [`csv.line[${line}]`]: [message] },
  });
}

interface CsvRecord {
  line: number;
  cells: string[];
}

/** RFC 4180 records with the line each starts on; quoted values may hold commas, quotes ("") and line breaks. */
function* records(text: string): Generator<CsvRecord> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        const opened = line;
        i++;
        for (;;) {
          if (i >= text.length) throw refuse(opened, 'a quoted value is never closed; end it with "');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw refuse(line, 'text after a closing quote; a quoted value must end at a comma or the end of the line');
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw refuse(line, 'a quote inside an unquoted value; quote the whole value and write the quote twice ("")');
          cell += text[i];
          i++;
        }
      }
      cells.push(cell);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    yield { line: start, cells };
  }
}

/**
 * Reads a lookup table CSV: a header row naming the columns `left` and `right` (either order,
 * any case), then one row per pair. Blank lines are skipped. Anything else is refused with
 * VALIDATION_FAILED naming the line: a row without exactly two values, an empty or too long
 * value, a left value that repeats an earlier row's, a quote out of place.
 */
export function parseLookupCsv(text: string): LookupRow[] {
  let leftIndex = -1;
  const rows: LookupRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of records(text)) {
    if (cells.length === 1 && cells[0] === '') continue;
    if (leftIndex < 0) {
      const names = cells.map((c) => c.trim().toLowerCase());
      if (names.length !== 2 || !names.includes('left') || !names.includes('right')) {
        throw refuse(line, `the header must name the two columns left and right, got ${JSON.stringify(cells.join(','))}`);
      }
      leftIndex = names.indexOf('left');
      continue;
    }
    if (cells.length !== 2) throw refuse(line, `expected 2 values (left and right), found ${cells.length}`);
    const left = cells[leftIndex]!;
    const right = cells[1 - leftIndex]!;
    if (left === '') throw refuse(line, 'the left value is empty');
    if (left.length > LOOKUP_VALUE_MAX_CHARS || right.length > LOOKUP_VALUE_MAX_CHARS) {
      throw refuse(line, `a value is longer than ${LOOKUP_VALUE_MAX_CHARS} characters`);
    }
    const first = seen.get(left);
    if (first !== undefined) throw refuse(line, `the left value ${JSON.stringify(left)} repeats line ${first}; left values must be unique`);
    seen.set(left, line);
    if (rows.length >= LOOKUP_ROWS_MAX) throw refuse(line, `a table holds at most ${LOOKUP_ROWS_MAX} rows`);
    rows.push({ left, right });
  }
  if (leftIndex < 0) throw refuse(1, 'the CSV is empty; the first line must be the header left,right');
  return rows;
}

function cell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The table as CSV: the header left,right and one line per row, quoted where RFC 4180 needs it. */
export function writeLookupCsv(rows: readonly LookupRow[]): string {
  let out = 'left,right\r\n';
  for (const row of rows) out += `${cell(row.left)},${cell(row.right)}\r\n`;
  return out;
}
