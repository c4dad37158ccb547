import type { FieldErrors } from '../errors.js';

// Keys that are not plain identifiers go in brackets so a path stays unambiguous when a key holds
// a dot or a space (`headers["Content-Type"]`).
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `parent` extended by an object key or an array index, in the `steps[2].config.rules[0]` form. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Collects field problems. A Map underneath, because paths come from user keys and a key such as
 * `__proto__` must stay an ordinary entry rather than reach an object's prototype.
 */
export class Problems {
  private readonly byPath = new Map<string, string[]>();

  add(path: string, message: string): void {
    const messages = this.byPath.get(path);
    if (messages === undefined) this.byPath.set(path, [message]);
    else if (!messages.includes(message)) messages.push(message);
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  get size(): number {
    return this.byPath.size;
  }

  toFieldErrors(): FieldErrors {
    return Object.fromEntries(this.byPath);
  }
}

/** Levenshtein distance, for "did you mean" hints on short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate within two edits, if there is exactly one best. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  // Names far longer than any candidate cannot be typos of one; skip the quadratic work.
  if (name.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  let tie = false;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** `unknown shape "filtr" (did you mean "filter"?)`: the hint only when one candidate is close. */
export function unknownName(kind: string, name: string, candidates: readonly string[]): string {
  const hint = closest(name, candidates);
  const known = candidates.length === 0 ? 'none' : candidates.join(', ');
  return `unknown ${kind} ${JSON.stringify(name)}${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known ${kind}s: ${known}`;
}

/** Quotes a user value for a message without letting a huge one swamp it. */
export function quote(value: string, maxLength = 80): string {
  return JSON.stringify(value.length > maxLength ? `${value.slice(0, maxLength)}…` : value);
}
