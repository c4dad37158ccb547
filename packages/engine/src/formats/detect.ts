import type { PayloadFormat } from '@weft/schema';
import { XMLValidator } from 'fast-xml-parser';
import { csvRows } from './csv.js';
import { refusedXmlConstruct } from './xml.js';

/**
 * Guesses the format of a string payload sent to the standard start endpoint (api.md §2):
 * JSON when it parses as JSON; XML when it starts with `<` (after whitespace and a BOM) and is
 * well-formed; CSV when it has a header line of at least two comma-separated fields and at least
 * one more line, every line with as many fields; otherwise text.
 *
 * Two deliberate leanings: a `<` document with a DOCTYPE or entity declaration counts as XML, so
 * that parsing it refuses it (XML_REFUSED) rather than letting it slip through as text; and a
 * single-column CSV is text, since any multi-line text would otherwise be "CSV".
 */
export function detectFormat(bytes: Buffer): PayloadFormat {
  const text = bytes.toString('utf8');
  const start = firstSignificant(text);
  if (start === text.length) return 'text';
  const first = text[start];
  if (looksLikeJsonStart(first) && parsesAsJson(text, start)) return 'json';
  if (first === '<') {
    if (refusedXmlConstruct(text) !== undefined) return 'xml';
    if (XMLValidator.validate(text.slice(start)) === true) return 'xml';
    return 'text';
  }
  if (looksLikeCsv(text, start)) return 'csv';
  return 'text';
}

function firstSignificant(text: string): number {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0xfeff || c === 32 || c === 9 || c === 10 || c === 13) i++;
    else break;
  }
  return i;
}

function looksLikeJsonStart(c: string | undefined): boolean {
  return (
    c === '{' || c === '[' || c === '"' || c === '-' || c === 't' || c === 'f' || c === 'n' || (c !== undefined && c >= '0' && c <= '9')
  );
}

function parsesAsJson(text: string, start: number): boolean {
  try {
    JSON.parse(start === 0 ? text : text.slice(start));
    return true;
  } catch {
    return false;
  }
}

function looksLikeCsv(text: string, start: number): boolean {
  // The header line decides the field count; a first line without a comma cannot start CSV.
  const firstLineEnd = text.indexOf('\n', start);
  if (firstLineEnd < 0) return false;
  if (!text.slice(start, firstLineEnd).includes(',')) return false;
  let rows: string[][];
  try {
    rows = csvRows(text);
  } catch {
    return false;
  }
  return rows.length >= 2 && (rows[0]?.length ?? 0) >= 2;
}
