import { describe, expect, it } from 'vitest';
import { applyTransform as apply, argProblems } from './test-support/apply.js';

describe('array transforms', () => {
  it('join a list, keeping positions of missing elements', async () => {
    expect(await apply('join', {}, ['a', 1, null, 'b'])).toBe('a,1,,b');
    expect(await apply('join', { separator: ' | ' }, [{ x: 1 }, 'y'])).toBe('{"x":1} | y');
    expect(await apply('join', {}, 'single')).toBe('single');
  });

  it('take the first and last elements', async () => {
    expect(await apply('first', {}, [3, 4, 5])).toBe(3);
    expect(await apply('last', {}, [3, 4, 5])).toBe(5);
    expect(await apply('first', {}, [])).toBeUndefined();
    expect(await apply('last', {}, 'x')).toBe('x');
  });

  it('count elements, a missing value as none', async () => {
    expect(await apply('count', {}, [1, 2, 3])).toBe(3);
    expect(await apply('count', {}, undefined)).toBe(0);
    expect(await apply('count', {}, 'x')).toBe(1);
  });

  it('sum numbers and numeric text, skipping missing elements', async () => {
    expect(await apply('sum', {}, [1, '2.5', null, 0.1, 0.2])).toBe(3.8);
    expect(await apply('sum', {}, [])).toBe(0);
    await expect(apply('sum', {}, [1, 'two'])).rejects.toMatchObject({ code: 'MAP_ERROR', message: 'sum needs a number, got "two"' });
  });

  it('remove repeats by value and type, objects by content', async () => {
    expect(await apply('unique', {}, [1, '1', 1, { a: 1 }, { a: 1 }, null, null])).toEqual([1, '1', { a: 1 }, null]);
  });

  it('sort numbers by value and text by code point, missing last', async () => {
    expect(await apply('sort', {}, [10, 9, null, 100])).toEqual([9, 10, 100, null]);
    expect(await apply('sort', { order: 'desc' }, ['b', undefined, 'a', 'c'])).toEqual(['c', 'b', 'a', undefined]);
    expect(await apply('sort', {}, ['9', 10, 'a', 9])).toEqual([9, 10, '9', 'a']);
  });

  it('sort objects by a path, keeping ties in order', async () => {
    const rows = [{ id: 1, p: { n: 2 } }, { id: 2, p: { n: 1 } }, { id: 3 }, { id: 4, p: { n: 1 } }];
    expect(((await apply('sort', { by: 'p.n' }, rows)) as { id: number }[]).map((r) => r.id)).toEqual([2, 4, 1, 3]);
  });

  it('reject a sort path with a star or a bad form, and an unknown order', () => {
    expect(argProblems('sort', { by: '*.x' })).toEqual(['args.by cannot contain *']);
    expect(argProblems('sort', { by: 'a..b' })).toEqual([expect.stringMatching(/^args\.by has an empty segment/)]);
    expect(argProblems('sort', { order: 'up' })).toEqual(['args.order must be one of asc, desc']);
  });

  it('leave a non-list alone for unique and sort', async () => {
    expect(await apply('unique', {}, 'x')).toBe('x');
    expect(await apply('sort', {}, 5)).toBe(5);
  });
});
