import { AppError } from '@weft/schema';
import type { TransformApply, TransformContext } from './types.js';

const MAX_SHOWN = 60;

/** A value as a message shows it: short JSON for data, words for structures. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

export function mapError(message: string, cause?: unknown): AppError {
  return new AppError('MAP_ERROR', message, cause === undefined ? {} : { cause });
}

/** Text for string transforms: numbers and booleans as written, structures refused. */
export function asText(fn: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw mapError(`${fn} needs text, got ${showValue(value)}`);
}

const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const THOUSANDS_COMMA = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const THOUSANDS_DOT = /^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/;

/**
 * Reads a number from text: plain decimals and exponents, with thousands separators only when
 * they are unambiguous ("1,234.50"; with a "," decimal separator, "1.234,50"). Hex, "Infinity"
 * and the like are not numbers here. Undefined when the text is not a number.
 */
export function parseNumber(text: string, decimalSeparator: '.' | ',' = '.'): number | undefined {
  let s = text.trim();
  if (decimalSeparator === ',') {
    if (THOUSANDS_DOT.test(s)) s = s.replace(/\./g, '');
    s = s.replace(',', '.');
  } else if (s.includes(',') && THOUSANDS_COMMA.test(s)) {
    s = s.replace(/,/g, '');
  }
  if (!PLAIN_NUMBER.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** A number for arithmetic: numbers, and text that reads as one. */
export function asNumber(fn: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const n = parseNumber(value);
    if (n !== undefined) return n;
  }
  throw mapError(`${fn} needs a number, got ${showValue(value)}`);
}

// Exact powers of ten as doubles (10^22 is the last one).
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const EXACT_INTEGER_LIMIT = 2 ** 53;

/**
 * `n` at 15 significant digits, the most a double holds exactly in decimal: 19.75 * 100 is
 * 1975.0000000000002 in binary and 1975 here. Math.round on a scaled integer below 2^53 and a
 * division by an exact power of ten give the double nearest that decimal, like
 * parseFloat(n.toPrecision(15)) at a twentieth of its cost (this runs once per value).
 */
function toFifteenDigits(n: number): number {
  if (Number.isInteger(n) || n === 0) return n;
  const magnitude = Math.floor(Math.log10(Math.abs(n)));
  let digits = 14 - magnitude;
  if (digits <= 0) return n;
  if (digits > 22) return Number.parseFloat(n.toPrecision(15));
  let scale = POW10[digits] as number;
  // log10 can come out one low just under a power of ten; keep the scaled value exact.
  if (Math.abs(n) * scale >= EXACT_INTEGER_LIMIT) scale = POW10[--digits] as number;
  return Math.round(n * scale) / scale;
}

/** Drops binary floating-point noise from a computed result (see toFifteenDigits). */
export function cleanFloat(n: number): number {
  if (!Number.isFinite(n)) throw mapError(`the result ${n} is not a finite number`);
  return toFifteenDigits(n);
}

/**
 * Rounds half away from zero at `places` decimals, on the decimal value the number was meant to
 * be (1.005 rounds to 1.01, not 1.00).
 */
export function roundTo(n: number, places: number, mode: 'round' | 'floor' | 'ceil' = 'round'): number {
  const factor = 10 ** places;
  const shifted = toFifteenDigits(n * factor);
  let r: number;
  if (mode === 'floor') r = Math.floor(shifted);
  else if (mode === 'ceil') r = Math.ceil(shifted);
  else r = Math.sign(shifted) * Math.round(Math.abs(shifted));
  const result = places > 0 ? r / factor : r * 10 ** -places;
  // -0 prints as "0" anyway, but keep results clean for equality checks downstream.
  return Object.is(result, -0) ? 0 : result;
}

/**
 * Applies a per-value function to a value or to each element of a list (so `uppercase` on
 * `sources[]` uppercases each one); null and missing elements stay as they are.
 */
export function eachValue(fn: (value: unknown, ctx: TransformContext) => unknown): TransformApply {
  return (value, ctx) => {
    if (!Array.isArray(value)) return fn(value, ctx);
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      out[i] = v === undefined || v === null ? v : fn(v, ctx);
    }
    return out;
  };
}
