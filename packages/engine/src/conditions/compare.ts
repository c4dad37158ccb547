/**
 * How condition values compare (spec/flows.md §3): numbers and ISO dates compare as such, so a
 * CSV cell "42" is greater than 10 and "2026-03-01" is after "2026-02-28T23:00:00Z".
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A number from a number or a plain decimal string; undefined otherwise. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMBER.test(value.trim())) return Number(value.trim());
  return undefined;
}

/**
 * Milliseconds since the epoch for an ISO 8601 date or date-time string; undefined otherwise. A
 * date-time without an offset is read as UTC, so the answer does not depend on the server's zone.
 */
export function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_DATE.exec(value);
  if (match === null) return undefined;
  const text = value.includes(':') && match[1] === undefined ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T');
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Text for the string operators: strings, numbers and booleans as written; undefined for the rest. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * The order of two values: negative, zero or positive, or undefined when they do not compare
 * (a number with a word, an object with anything). Numbers first, then ISO dates, then text.
 */
export function compareValues(a: unknown, b: unknown): number | undefined {
  const an = numberOf(a);
  const bn = numberOf(b);
  if (an !== undefined && bn !== undefined) return an - bn;
  const at = timeOf(a);
  const bt = timeOf(b);
  if (at !== undefined && bt !== undefined) return at - bt;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/**
 * Equality for `eq`, `in` and `contains` on lists. A number equals a string holding the same
 * number (CSV and XML values are text); two ISO dates are equal when they name the same instant;
 * a boolean equals its word; lists and objects are equal when deeply equal.
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    const an = numberOf(a);
    const bn = numberOf(b);
    return an !== undefined && an === bn;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b);
  if (typeof a === 'string' && typeof b === 'string') {
    const at = timeOf(a);
    return at !== undefined && at === timeOf(b);
  }
  return deepEqual(a, b);
}

/** Structural equality of JSON values; key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const key of ak) {
    if (!Object.hasOwn(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Empty for `empty`: missing, null, "", an empty list or an object without keys. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
