import { isUtf8 } from 'node:buffer';

/** A start body's "payload" string, kept as the UTF-8 bytes it stands for instead of as a JS string. */
export class PayloadBytes {
  constructor(readonly bytes: Buffer) {}
}

/**
 * Bodies from this size on are read by readPayloadString. Below it JSON.parse (native code) costs
 * the same or less than the byte loop, and the strings are small and short-lived.
 */
export const PAYLOAD_BYTES_FROM = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const PAYLOAD_KEY = Buffer.from('"payload"');
const SIMPLE_ESCAPES: Record<number, number> = { 34: 0x22, 92: 0x5c, 47: 0x2f, 98: 0x08, 102: 0x0c, 110: 0x0a, 114: 0x0d, 116: 0x09 };

/**
 * The bytes of the payload string of a start body that is exactly `{"payload": "…"}` (whitespace
 * allowed), with the JSON escapes decoded: the same bytes as `Buffer.from(JSON.parse(body).payload)`.
 * Undefined for any other body (more keys, another shape, anything invalid), which then takes the
 * ordinary JSON.parse path and its errors.
 *
 * Why: the standard start endpoint carries the whole payload as one JSON string. Through JSON.parse
 * a large one became two strings of twice its size (the body's text and the payload's, UTF-16 as
 * soon as one character is outside Latin-1) before it was turned back into the bytes we store; for
 * an 8 MiB payload that was about 34 MB of large-object garbage that only a full collection frees.
 */
export function readPayloadString(body: Buffer): Buffer | undefined {
  const n = body.length;
  let i = skipWhitespace(body, 0);
  if (body[i] !== 0x7b) return undefined; // {
  i = skipWhitespace(body, i + 1);
  if (n - i < PAYLOAD_KEY.length || body.compare(PAYLOAD_KEY, 0, PAYLOAD_KEY.length, i, i + PAYLOAD_KEY.length) !== 0) return undefined;
  i = skipWhitespace(body, i + PAYLOAD_KEY.length);
  if (body[i] !== 0x3a) return undefined; // :
  i = skipWhitespace(body, i + 1);
  if (body[i] !== QUOTE) return undefined;
  // JSON.parse of the decoded text would have replaced bytes that are not UTF-8; let it.
  if (!isUtf8(body)) return undefined;

  // The decoded string is never longer than its escaped form.
  const out = Buffer.allocUnsafe(n - i);
  let w = 0;
  let r = i + 1;
  for (;;) {
    // Copy the plain bytes up to the next quote, backslash or (invalid) control character. Byte by
    // byte: escapes come every few bytes in stringified JSON, and Buffer.copy per run cost more.
    let j = r;
    while (j < n) {
      const c = body[j]!;
      if (c === QUOTE || c === BACKSLASH || c < 0x20) break;
      out[w++] = c;
      j++;
    }
    if (j >= n || body[j]! < 0x20) return undefined;
    if (body[j] === QUOTE) {
      r = j + 1;
      break;
    }
    const e = body[j + 1];
    if (e === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out[w++] = simple;
      r = j + 2;
      continue;
    }
    if (e !== 0x75) return undefined; // \u
    let unit = hex4(body, j + 2);
    if (unit < 0) return undefined;
    r = j + 6;
    if (unit >= 0xd800 && unit <= 0xdbff && body[r] === BACKSLASH && body[r + 1] === 0x75) {
      const low = hex4(body, r + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        r += 6;
      }
    }
    w = writeCodePoint(out, w, unit);
  }
  const end = skipWhitespace(body, r);
  if (body[end] !== 0x7d || skipWhitespace(body, end + 1) !== n) return undefined; // } and nothing after
  return out.subarray(0, w);
}

function skipWhitespace(body: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

function hex4(body: Buffer, at: number): number {
  let value = 0;
  for (let k = 0; k < 4; k++) {
    const c = body[at + k];
    if (c === undefined) return -1;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

/** UTF-8 of one code point; a lone surrogate becomes U+FFFD, as Buffer.from(string) writes it. */
function writeCodePoint(out: Buffer, at: number, cp: number): number {
  let w = at;
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) out[w++] = cp;
  else if (cp < 0x800) {
    out[w++] = 0xc0 | (cp >> 6);
    out[w++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[w++] = 0xe0 | (cp >> 12);
    out[w++] = 0x80 | ((cp >> 6) & 0x3f);
    out[w++] = 0x80 | (cp & 0x3f);
  } else {
    out[w++] = 0xf0 | (cp >> 18);
    out[w++] = 0x80 | ((cp >> 12) & 0x3f);
    out[w++] = 0x80 | ((cp >> 6) & 0x3f);
    out[w++] = 0x80 | (cp & 0x3f);
  }
  return w;
}
