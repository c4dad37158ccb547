import { AppError } from '@weft/schema';

/**
 * Dot paths into parsed documents (spec/flows.md §4): `customer.email`, `*.lines.*.sku`.
 *
 * - `*` as a whole segment stands for every element of an array; on anything else it matches nothing.
 * - A segment of digits indexes an array (`lines.0.sku`) and is an ordinary key on an object.
 * - `\.` keeps a dot inside a key (`price\.eur`), `\\` a backslash, `\*` a literal `*` key.
 * - The empty path is the root itself.
 *
 * Keys are always read as own properties and written with defineProperty when they would
 * otherwise reach a prototype, so `__proto__`, `constructor` and friends stay plain data.
 */

export interface KeySegment {
  readonly kind: 'key';
  readonly key: string;
  /** The key as an array index, or -1 when it is not a canonical non-negative integer. */
  readonly index: number;
}

export interface WildcardSegment {
  readonly kind: 'wildcard';
}

export type PathSegment = KeySegment | WildcardSegment;

export interface CompiledPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
  /** How many `*` segments the path has. */
  readonly wildcards: number;
}

/** One value found by a wildcard path, with the array position matched by each `*` in order. */
export interface PathMatch {
  /** Undefined when the path ends before the value (kept only when asked for, see getMatches). */
  value: unknown;
  indices: number[];
}

const WILDCARD: WildcardSegment = Object.freeze({ kind: 'wildcard' });

/** Arrays are never grown past this by a write, so a path like `items.999999999` cannot exhaust memory. */
export const MAX_ARRAY_INDEX = 1_000_000;

const CACHE_LIMIT = 5_000;
const cache = new Map<string, CompiledPath>();

/** What is wrong with a path's form, or undefined. */
export function pathProblem(path: string): string | undefined {
  try {
    parse(path);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Parses a path once; the result is cached by text, so rules and templates that repeat a path
 * share it. Throws AppError MAP_ERROR naming the problem.
 */
export function compilePath(path: string): CompiledPath {
  let compiled = cache.get(path);
  if (compiled !== undefined) return compiled;
  let segments: PathSegment[];
  try {
    segments = parse(path);
  } catch (err) {
    throw new AppError('MAP_ERROR', `path ${JSON.stringify(path)} ${(err as Error).message}`);
  }
  compiled = Object.freeze({
    text: path,
    segments: Object.freeze(segments),
    wildcards: segments.filter((s) => s.kind === 'wildcard').length,
  });
  // A crude bound: paths come from flow definitions, so the working set is small; clearing
  // keeps a stream of one-off preview paths from growing it forever.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(path, compiled);
  return compiled;
}

function parse(path: string): PathSegment[] {
  if (path === '') return [];
  const segments: PathSegment[] = [];
  let key = '';
  let escaped = false;
  let hadEscape = false;
  const finish = () => {
    if (key === '' && !hadEscape) throw new Error('has an empty segment (two dots in a row, or a leading or trailing dot)');
    if (key === '*' && !hadEscape) segments.push(WILDCARD);
    else segments.push({ kind: 'key', key, index: arrayIndex(key) });
    key = '';
    hadEscape = false;
  };
  for (const ch of path) {
    if (escaped) {
      key += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
      hadEscape = true;
    } else if (ch === '.') {
      finish();
    } else {
      key += ch;
    }
  }
  if (escaped) throw new Error('ends with a lone "\\"; escape a dot as "\\." and a backslash as "\\\\"');
  finish();
  return segments;
}

function arrayIndex(key: string): number {
  if (key.length === 0 || key.length > 10) return -1;
  if (key !== '0' && (key.charCodeAt(0) === 48 || !/^[0-9]+$/.test(key))) return -1;
  if (key === '0') return 0;
  return Number(key);
}

function isContainer(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** An own property of an object or an element of an array; never something inherited. */
export function childOf(node: unknown, segment: KeySegment): unknown {
  if (Array.isArray(node)) return segment.index >= 0 ? node[segment.index] : undefined;
  if (isContainer(node) && Object.hasOwn(node, segment.key)) return node[segment.key];
  return undefined;
}

/**
 * Sets an own, enumerable property. Plain assignment to `__proto__` would replace the object's
 * prototype instead, so that one key goes through defineProperty.
 */
export function assignKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** The value at a path without `*`, or undefined when it is missing. */
export function getOne(root: unknown, path: CompiledPath): unknown {
  let node = root;
  for (const segment of path.segments) {
    if (segment.kind === 'wildcard') throw new Error(`getOne called with wildcard path ${path.text}`);
    node = childOf(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Every value a path reaches, each with the positions its `*` segments matched.
 *
 * With `keepMissing`, a branch that ends early (an element without the field) still yields a
 * match whose value is undefined and whose indices are the positions matched so far: the map
 * shape needs it to keep array positions for elements that lack a field.
 */
export function getMatches(root: unknown, path: CompiledPath | string, keepMissing = false): PathMatch[] {
  const compiled = typeof path === 'string' ? compilePath(path) : path;
  const out: PathMatch[] = [];
  collect(root, compiled.segments, 0, [], out, keepMissing);
  return out;
}

function collect(
  node: unknown,
  segments: readonly PathSegment[],
  pos: number,
  indices: number[],
  out: PathMatch[],
  keepMissing: boolean,
): void {
  for (let i = pos; i < segments.length; i++) {
    const segment = segments[i] as PathSegment;
    if (segment.kind === 'wildcard') {
      if (!Array.isArray(node) || node.length === 0) {
        if (keepMissing) out.push({ value: undefined, indices: indices.slice() });
        return;
      }
      for (let j = 0; j < node.length; j++) {
        indices.push(j);
        collect(node[j], segments, i + 1, indices, out, keepMissing);
        indices.pop();
      }
      return;
    }
    node = childOf(node, segment);
    if (node === undefined) {
      if (keepMissing) out.push({ value: undefined, indices: indices.slice() });
      return;
    }
  }
  out.push({ value: node, indices: indices.slice() });
}

/**
 * The value at a path with each `*` standing for the position given in `indices` (in order), or
 * undefined when anything along the way is missing. Positions beyond `indices` match nothing.
 */
export function getAt(root: unknown, path: CompiledPath, indices: readonly number[]): unknown {
  let node = root;
  let used = 0;
  for (const segment of path.segments) {
    if (segment.kind === 'wildcard') {
      if (!Array.isArray(node) || used >= indices.length) return undefined;
      node = node[indices[used++] as number];
    } else node = childOf(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

/** The path cut after its n-th `*` (n ≥ 1); the whole path when it has fewer. */
export function pathThroughWildcard(path: CompiledPath, n: number): CompiledPath {
  let seen = 0;
  for (let i = 0; i < path.segments.length; i++) {
    if (path.segments[i]?.kind === 'wildcard' && ++seen === n) {
      const segments = path.segments.slice(0, i + 1);
      return { text: segments.map(segmentText).join('.'), segments, wildcards: n };
    }
  }
  return path;
}

/**
 * Reads a path: for a path without `*`, the value or undefined; with `*`, the list of every value
 * found (missing ones left out).
 */
export function getPath(root: unknown, path: CompiledPath | string): unknown {
  const compiled = typeof path === 'string' ? compilePath(path) : path;
  if (compiled.wildcards === 0) return getOne(root, compiled);
  return getMatches(root, compiled).map((m) => m.value);
}

/**
 * A value for setPath that writes nothing but makes sure the containers along the path exist:
 * the element a `*` position stands for is created (as an empty object or array) when missing.
 */
export const ENSURE: unique symbol = Symbol('ensure');

/**
 * Writes `value` at `path` inside `root` and returns the root, which is new when `root` was
 * undefined or null. Missing objects and arrays along the way are created: an array for a `*` or
 * digits segment, an object otherwise.
 *
 * The n-th `*` writes at `indices[n]`; a `*` beyond the given indices writes into every element
 * already there (and into none when there is no array yet). Holes left by writing past the end
 * of an array are filled with null. Writing through a string, number or boolean, or a key into
 * an array, throws AppError MAP_ERROR.
 */
export function setPath(root: unknown, path: CompiledPath | string, value: unknown, indices: readonly number[] = []): unknown {
  const compiled = typeof path === 'string' ? compilePath(path) : path;
  return write(root, compiled, 0, value, indices, 0);
}

function emptyFor(segment: PathSegment): Record<string, unknown> | unknown[] {
  return segment.kind === 'wildcard' || segment.index >= 0 ? [] : {};
}

function write(node: unknown, path: CompiledPath, pos: number, value: unknown, indices: readonly number[], used: number): unknown {
  if (pos === path.segments.length) {
    if (value !== ENSURE) return value;
    return node ?? null;
  }
  const segment = path.segments[pos] as PathSegment;
  if (value === ENSURE && used === indices.length && pos > 0 && path.segments[pos - 1]?.kind === 'wildcard') {
    // The element the last given `*` stands for: make it exist, go no deeper.
    return node ?? emptyFor(segment);
  }
  if (segment.kind === 'wildcard') {
    if (used >= indices.length) {
      // A `*` beyond the given positions writes into the elements already there, never creates them.
      if (node === undefined || node === null) return node;
      if (!Array.isArray(node)) throw conflict(path, pos, node);
      for (let i = 0; i < node.length; i++) node[i] = write(node[i], path, pos + 1, value, indices, used);
      return node;
    }
    const index = indices[used] as number;
    if (node !== undefined && node !== null && !Array.isArray(node)) throw conflict(path, pos, node);
    const child = write(node?.[index], path, pos + 1, value, indices, used + 1);
    if (child === undefined) return node;
    const array = node ?? [];
    writeIndex(array, index, child, path);
    return array;
  }
  if (node === undefined || node === null) {
    // Create the container only once something is actually written below it.
    const child = write(undefined, path, pos + 1, value, indices, used);
    if (child === undefined) return node;
    const created = emptyFor(segment);
    if (Array.isArray(created)) writeIndex(created, segment.index, child, path);
    else assignKey(created, segment.key, child);
    return created;
  }
  if (Array.isArray(node)) {
    if (segment.index < 0) throw conflict(path, pos, node);
    const child = write(node[segment.index], path, pos + 1, value, indices, used);
    if (child !== undefined) writeIndex(node, segment.index, child, path);
    return node;
  }
  if (!isContainer(node)) throw conflict(path, pos, node);
  const current = Object.hasOwn(node, segment.key) ? node[segment.key] : undefined;
  const child = write(current, path, pos + 1, value, indices, used);
  if (child !== undefined) assignKey(node, segment.key, child);
  return node;
}

function writeIndex(array: unknown[], index: number, value: unknown, path: CompiledPath): void {
  if (index > MAX_ARRAY_INDEX)
    throw new AppError('MAP_ERROR', `cannot write ${JSON.stringify(path.text)}: array position ${index} is beyond ${MAX_ARRAY_INDEX}`);
  while (array.length < index) array.push(null);
  array[index] = value;
}

function conflict(path: CompiledPath, pos: number, node: unknown): AppError {
  const at = pos === 0 ? 'the root' : JSON.stringify(path.segments.slice(0, pos).map(segmentText).join('.'));
  const segment = path.segments[pos] as PathSegment;
  const want = segment.kind === 'wildcard' ? 'a list' : Array.isArray(node) ? 'an object' : 'an object or list';
  return new AppError('MAP_ERROR', `cannot write ${JSON.stringify(path.text)}: ${at} holds ${describeKind(node)}, not ${want}`);
}

function segmentText(segment: PathSegment): string {
  return segment.kind === 'wildcard' ? '*' : segment.key.replace(/[\\.*]/g, (c) => `\\${c}`);
}

function describeKind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'true or false';
  return typeof value;
}
