import { describe, expect, it } from 'vitest';
import { compilePath, ENSURE, getAt, getMatches, getOne, getPath, pathProblem, pathThroughWildcard, setPath } from './index.js';

describe('compilePath', () => {
  it('splits on dots and marks whole-segment stars as wildcards', () => {
    const path = compilePath('*.lines.*.sku');
    expect(path.wildcards).toBe(2);
    expect(path.segments.map((s) => (s.kind === 'wildcard' ? '*' : s.key))).toEqual(['*', 'lines', '*', 'sku']);
  });

  it('keeps escaped dots, stars and backslashes inside a key', () => {
    const path = compilePath('price\\.eur.\\*.a\\\\b');
    expect(path.wildcards).toBe(0);
    expect(path.segments.map((s) => (s.kind === 'key' ? s.key : '*'))).toEqual(['price.eur', '*', 'a\\b']);
  });

  it('treats a star inside a longer key as an ordinary character', () => {
    expect(compilePath('a*b').wildcards).toBe(0);
  });

  it('returns the same compiled object for the same text', () => {
    expect(compilePath('a.b.c')).toBe(compilePath('a.b.c'));
  });

  it('rejects empty segments and a trailing lone backslash with MAP_ERROR', () => {
    for (const bad of ['a..b', '.a', 'a.', 'a\\']) {
      expect(() => compilePath(bad)).toThrow(expect.objectContaining({ code: 'MAP_ERROR' }));
      expect(pathProblem(bad)).toBeTypeOf('string');
    }
    expect(pathProblem('a.b')).toBeUndefined();
  });

  it('reads only canonical digit strings as array indexes', () => {
    const indexes = compilePath('0.10.01.x').segments.map((s) => (s.kind === 'key' ? s.index : null));
    expect(indexes).toEqual([0, 10, -1, -1]);
  });
});

describe('getPath', () => {
  const doc = {
    orders: [
      { id: 'A', lines: [{ sku: 1 }, { sku: 2 }] },
      { id: 'B', lines: [] },
      { id: 'C', lines: [{ sku: 3 }, { qty: 1 }] },
    ],
    meta: { 'price.eur': 5 },
  };

  it('returns the value at a plain path and undefined when it is missing', () => {
    expect(getPath(doc, 'orders.0.id')).toBe('A');
    expect(getPath(doc, 'orders.9.id')).toBeUndefined();
    expect(getPath(doc, 'nothing.here')).toBeUndefined();
    expect(getPath(doc, 'meta.price\\.eur')).toBe(5);
  });

  it('returns every match of a wildcard path, skipping elements without the field', () => {
    expect(getPath(doc, 'orders.*.id')).toEqual(['A', 'B', 'C']);
    expect(getPath(doc, 'orders.*.lines.*.sku')).toEqual([1, 2, 3]);
  });

  it('matches nothing when a star meets something that is not an array', () => {
    expect(getPath(doc, 'meta.*')).toEqual([]);
    expect(getPath('text', '*')).toEqual([]);
  });

  it('returns the root for the empty path', () => {
    expect(getPath(doc, '')).toBe(doc);
  });

  it('reports the positions each star matched', () => {
    expect(getMatches(doc, 'orders.*.lines.*.sku')).toEqual([
      { value: 1, indices: [0, 0] },
      { value: 2, indices: [0, 1] },
      { value: 3, indices: [2, 0] },
    ]);
  });

  it('keeps missing branches as undefined matches when asked, with the positions matched so far', () => {
    expect(getMatches(doc, 'orders.*.lines.*.sku', true)).toEqual([
      { value: 1, indices: [0, 0] },
      { value: 2, indices: [0, 1] },
      { value: undefined, indices: [1] },
      { value: 3, indices: [2, 0] },
      { value: undefined, indices: [2, 1] },
    ]);
    expect(getMatches([{ lines: [] }], '*.lines.*.sku', true)).toEqual([{ value: undefined, indices: [0] }]);
    expect(getMatches([{ a: 1 }, {}], '*.a', true)).toEqual([
      { value: 1, indices: [0] },
      { value: undefined, indices: [1] },
    ]);
  });

  it('never reads inherited properties such as __proto__ or constructor', () => {
    expect(getPath({}, '__proto__')).toBeUndefined();
    expect(getPath({}, 'constructor')).toBeUndefined();
    expect(getPath({ a: 'x' }, 'a.length')).toBeUndefined();
    expect(getPath([1, 2], 'length')).toBeUndefined();
    expect(getPath(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__.x')).toBe(1);
  });

  it('refuses a wildcard path in getOne', () => {
    expect(() => getOne([], compilePath('*'))).toThrow();
  });
});

describe('setPath', () => {
  it('creates objects along a plain path', () => {
    expect(setPath(undefined, 'a.b.c', 1)).toEqual({ a: { b: { c: 1 } } });
  });

  it('creates arrays for star and digit segments', () => {
    expect(setPath(undefined, '*.id', 7, [2])).toEqual([null, null, { id: 7 }]);
    expect(setPath(undefined, 'lines.1', 'x')).toEqual({ lines: [null, 'x'] });
  });

  it('writes at the given positions for each star', () => {
    let root: unknown;
    root = setPath(root, 'orders.*.lines.*.sku', 'a', [0, 1]);
    root = setPath(root, 'orders.*.lines.*.sku', 'b', [1, 0]);
    expect(root).toEqual({ orders: [{ lines: [null, { sku: 'a' }] }, { lines: [{ sku: 'b' }] }] });
  });

  it('writes into every existing element for stars beyond the given positions', () => {
    const root = [{ a: 1 }, { a: 2 }];
    expect(setPath(root, '*.batch', 'B1')).toEqual([
      { a: 1, batch: 'B1' },
      { a: 2, batch: 'B1' },
    ]);
  });

  it('writes nothing and creates nothing when a broadcast star finds no array', () => {
    expect(setPath(undefined, '*.batch', 'B1')).toBeUndefined();
    expect(setPath({ x: 1 }, 'lines.*.batch', 'B1')).toEqual({ x: 1 });
  });

  it('writes nothing for an undefined value', () => {
    expect(setPath(undefined, 'a.b', undefined)).toBeUndefined();
    expect(setPath({ a: 1 }, 'b', undefined)).toEqual({ a: 1 });
  });

  it('replaces null along the way with a container', () => {
    expect(setPath({ a: null }, 'a.b', 1)).toEqual({ a: { b: 1 } });
  });

  it('ensures the element at a star position exists without writing into it', () => {
    expect(setPath([{ x: 1 }], '*.customerId', ENSURE, [2])).toEqual([{ x: 1 }, null, {}]);
    expect(setPath([{ x: 1 }], '*.customerId', ENSURE, [0])).toEqual([{ x: 1 }]);
    expect(setPath(undefined, '*', ENSURE, [1])).toEqual([null, null]);
  });

  it('refuses to write through a string, into a list by key, or a star into an object', () => {
    expect(() => setPath({ a: 'text' }, 'a.b', 1)).toThrow(/"a" holds a string/);
    expect(() => setPath({ a: [] }, 'a.b', 1)).toThrow(/holds a list, not an object/);
    expect(() => setPath({ a: {} }, 'a.*.b', 1, [0])).toThrow(/holds an object, not a list/);
    expect(() => setPath(5, 'a', 1)).toThrow(expect.objectContaining({ code: 'MAP_ERROR' }));
  });

  it('refuses array positions beyond the limit instead of allocating them', () => {
    expect(() => setPath(undefined, 'a.99999999', 1)).toThrow(/beyond/);
  });

  it('keeps __proto__, constructor and prototype keys as plain data', () => {
    const root = setPath(undefined, '__proto__.polluted', 'yes') as Record<string, unknown>;
    setPath(root, 'constructor.prototype.polluted', 'yes');
    setPath(root, 'a.__proto__', { polluted: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(root)).toBe(Object.prototype);
    expect(Object.keys(root)).toEqual(['__proto__', 'constructor', 'a']);
    expect(JSON.parse(JSON.stringify(root))).toEqual(
      JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"a":{"__proto__":{"polluted":"yes"}}}'),
    );
    expect(getPath(root, 'a.__proto__.polluted')).toBe('yes');
  });

  it('writes into an existing own __proto__ key without touching the prototype', () => {
    const root = JSON.parse('{"__proto__": {"x": 1}}');
    setPath(root, '__proto__.y', 2);
    expect(root).toEqual(JSON.parse('{"__proto__": {"x": 1, "y": 2}}'));
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });
});

describe('getAt and pathThroughWildcard', () => {
  const doc = [{ lines: [{ sku: 'a' }, { sku: 'b' }] }, { lines: [{ sku: 'c' }] }];

  it('reads the element each star position stands for', () => {
    expect(getAt(doc, compilePath('*.lines.*.sku'), [0, 1])).toBe('b');
    expect(getAt(doc, compilePath('*.lines.*.sku'), [1, 5])).toBeUndefined();
    expect(getAt(doc, compilePath('*.lines.*.sku'), [1])).toBeUndefined();
  });

  it('cuts a path after its n-th star', () => {
    const cut = pathThroughWildcard(compilePath('*.lines.*.sku'), 1);
    expect(cut.text).toBe('*');
    expect(getAt(doc, cut, [1])).toEqual({ lines: [{ sku: 'c' }] });
    expect(pathThroughWildcard(compilePath('*.lines.*.sku'), 2).text).toBe('*.lines.*');
  });
});
