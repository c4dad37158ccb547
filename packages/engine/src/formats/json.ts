import { AppError } from '@weft/schema';
import type { FormatCodec } from '../payload.js';

const BOM = 0xfeff;

/**
 * JSON payloads. JSON.parse already keeps `__proto__` and `constructor` keys as own data
 * properties, so parsed documents cannot pollute prototypes.
 */
export const jsonCodec: FormatCodec = {
  parse(bytes: Buffer): unknown {
    return parseJson(bytes.toString('utf8'));
  },
  serialise(value: unknown): Buffer {
    if (Array.isArray(value) && value.length > SLICE_ITEMS) return serialiseArrayInSlices(value);
    // undefined has no JSON form; null is the closest document that still parses.
    return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  },
};

/** Items per slice of a large array's JSON: a few hundred KB of text, freed by the next scavenge. */
const SLICE_ITEMS = 1000;
const CLOSE = Buffer.from(']');

/**
 * The same bytes as JSON.stringify(items), made a slice of items at a time so the whole text never
 * exists as one string. For a large array that string is up to twice its UTF-8 size (UTF-16 once
 * one character is outside Latin-1) and, living in large-object space, stays until a full
 * collection: for W2's 40 000 records, 14 MB more at the run's peak for nothing. (An item's toJSON
 * is called with its index in the slice, not in the whole array; JSON.parse never makes one.)
 */
function serialiseArrayInSlices(items: unknown[]): Buffer {
  // An array's own toJSON would change the whole text; JSON.stringify knows what to do with it.
  if (typeof (items as { toJSON?: unknown }).toJSON === 'function') return Buffer.from(JSON.stringify(items) ?? 'null', 'utf8');
  const parts: Buffer[] = [];
  let bytes = 0;
  for (let start = 0; start < items.length; start += SLICE_ITEMS) {
    // "[a,b,c]" of the slice: the brackets become the separators of the whole.
    const text = JSON.stringify(items.slice(start, start + SLICE_ITEMS));
    const part = Buffer.from(`${start === 0 ? '[' : ','}${text.slice(1, -1)}`, 'utf8');
    parts.push(part);
    bytes += part.length;
  }
  parts.push(CLOSE);
  return Buffer.concat(parts, bytes + 1);
}

/** Parses JSON text; throws AppError PAYLOAD_FORMAT_ERROR with the line, column and offset of the problem. */
export function parseJson(text: string): unknown {
  const body = text.charCodeAt(0) === BOM ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new AppError('PAYLOAD_FORMAT_ERROR', describeJsonError(body, err), { cause: err });
  }
}

function describeJsonError(text: string, err: unknown): string {
  if (text.trim() === '') return 'JSON payload is empty';
  // V8 names the position only for some errors, so find it ourselves; this runs only on failure.
  const position = jsonErrorPosition(text);
  const { line, column } = lineAndColumn(text, position);
  const found = position >= text.length ? 'the end of the input' : JSON.stringify(String.fromCodePoint(text.codePointAt(position) ?? 0));
  const reason = err instanceof SyntaxError ? err.message.replace(/, ".*" is not valid JSON$/s, '') : 'not valid JSON';
  return `JSON payload does not parse at line ${line} column ${column} (position ${position}, at ${found}): ${reason}`;
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/**
 * The offset of the first character that makes `text` invalid JSON (text.length when it ends too
 * early). A small recursive-descent scanner over the JSON grammar, iterative over nesting so a
 * deeply nested document cannot overflow the stack.
 */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++) {
      if (text[i] !== word[k]) return false;
      i++;
    }
    return true;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c === 92) {
        i++;
        const e = text[i];
        if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) return false;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) return false;
      }
      i++;
    }
    return false;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    return i > start;
  };
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  // Containers still open: '{' or '['; `expectValue` says whether a value must come next.
  const stack: string[] = [];
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text[i];
      if (c === '{') {
        i++;
        ws();
        if (text[i] === '}') {
          i++;
          expectValue = false;
        } else {
          if (text[i] !== '"' || !string()) return i;
          ws();
          if (text[i] !== ':') return i;
          i++;
          stack.push('{');
        }
      } else if (c === '[') {
        i++;
        ws();
        if (text[i] === ']') {
          i++;
          expectValue = false;
        } else stack.push('[');
      } else if (c === '"') {
        if (!string()) return i;
        expectValue = false;
      } else if (c === 't' || c === 'f' || c === 'n') {
        if (!literal(c === 't' ? 'true' : c === 'f' ? 'false' : 'null')) return i;
        expectValue = false;
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        if (!number()) return i;
        expectValue = false;
      } else return i;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) {
      ws();
      return i; // trailing content starts here; i === n when the whole text was valid
    }
    const c = text[i];
    if (c === ',') {
      i++;
      if (top === '{') {
        ws();
        if (text[i] !== '"' || !string()) return i;
        ws();
        if (text[i] !== ':') return i;
        i++;
      }
      expectValue = true;
    } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
      i++;
      stack.pop();
    } else return i;
  }
}
