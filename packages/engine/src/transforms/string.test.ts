import { describe, expect, it } from 'vitest';
import { applyTransform as apply, argProblems, testContext } from './test-support/apply.js';

describe('string transforms', () => {
  it('change case and trim', async () => {
    expect(await apply('uppercase', undefined, 'abc')).toBe('ABC');
    expect(await apply('lowercase', {}, 'ÄBC')).toBe('äbc');
    expect(await apply('trim', {}, '  x \n')).toBe('x');
  });

  it('treat numbers and booleans as their text', async () => {
    expect(await apply('prefix', { value: '#' }, 42)).toBe('#42');
    expect(await apply('uppercase', {}, true)).toBe('TRUE');
  });

  it('apply to each element of a list and leave nulls alone', async () => {
    expect(await apply('trim', {}, [' a ', null, ' b'])).toEqual(['a', null, 'b']);
  });

  it('refuse objects with MAP_ERROR naming the transform', async () => {
    await expect(apply('uppercase', {}, { a: 1 })).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: 'uppercase needs text, got an object',
    });
  });

  it('add a prefix or suffix', async () => {
    expect(await apply('prefix', { value: 'SKU-' }, 'A1')).toBe('SKU-A1');
    expect(await apply('suffix', { value: '@x' }, 'me')).toBe('me@x');
  });

  it('replace plain text everywhere without interpreting $ patterns', async () => {
    expect(await apply('replace', { search: '-', replace: '$&' }, 'a-b-c')).toBe('a$&b$&c');
    expect(await apply('replace', { search: 'x' }, 'axbx')).toBe('ab');
  });

  it('replace by regular expression with groups', async () => {
    expect(await apply('replace', { search: '(\\d+)-(\\d+)', replace: '$2/$1', regex: true }, '10-20 30-40')).toBe('20/10 40/30');
    expect(await apply('replace', { search: 'A', replace: 'b', regex: true, flags: 'gi' }, 'aA')).toBe('bb');
  });

  it('reject a regular expression that does not compile, and flags without regex', () => {
    expect(argProblems('replace', { search: '(', regex: true })).toEqual([
      expect.stringMatching(/^args\.search is not a valid regular expression/),
    ]);
    expect(argProblems('replace', { search: 'a', flags: 'g' })).toEqual(['args.flags applies only with regex: true']);
    expect(argProblems('replace', { search: '' })).toEqual(['args.search must not be empty']);
    expect(argProblems('replace', { search: 'a', regex: true, flags: 'gy' })).toEqual([
      'args.flags may only hold the flags g, i, m, s and u',
    ]);
  });

  it('concat the values of several sources, leaving out missing ones', async () => {
    expect(await apply('concat', { separator: ' ' }, ['Jane', 'Smith'])).toBe('Jane Smith');
    expect(await apply('concat', { separator: ' ' }, ['Jane', undefined, null])).toBe('Jane');
    expect(await apply('concat', {}, ['a', 1, true])).toBe('a1true');
    expect(await apply('concat', {}, 'single')).toBe('single');
  });

  it('reject a separator that is not text', () => {
    expect(argProblems('concat', { separator: 1 })).toEqual(['args.separator must be a string']);
  });

  it('split text into a list', async () => {
    expect(await apply('split', { separator: ';' }, 'a;b;;c')).toEqual(['a', 'b', '', 'c']);
    expect(await apply('split', {}, 'a,b')).toEqual(['a', 'b']);
    expect(await apply('split', { separator: '' }, 'a😀b')).toEqual(['a', '😀', 'b']);
  });

  it('take a substring by characters, counting a negative start from the end', async () => {
    expect(await apply('substring', { start: 1, length: 3 }, 'abcdef')).toBe('bcd');
    expect(await apply('substring', { start: -2 }, 'abcdef')).toBe('ef');
    expect(await apply('substring', { start: 1, length: 1 }, '😀😁😂')).toBe('😁');
    expect(argProblems('substring', { start: 1.5 })).toEqual(['args.start must be an integer']);
    expect(argProblems('substring', {})).toEqual(['args.start is required']);
  });

  it('pad on either side', async () => {
    expect(await apply('pad', { length: 5, char: '0' }, 42)).toBe('00042');
    expect(await apply('pad', { length: 4, side: 'right', char: '.' }, 'ab')).toBe('ab..');
    expect(await apply('pad', { length: 1 }, 'long')).toBe('long');
    expect(argProblems('pad', { length: 3, char: 'ab' })).toEqual(['args.char must be exactly one character']);
    expect(argProblems('pad', { length: 3, side: 'middle' })).toEqual(['args.side must be one of left, right']);
  });

  it('build text from a template over the record, flow variables and run', async () => {
    const ctx = testContext({ record: () => ({ first: 'Jane', id: 7 }), variables: { shop: 'UK' } });
    expect(await apply('template', { template: '[[flow.shop]]-[[payload.id]]-[[payload.first]] ([[run.id]])' }, undefined, ctx)).toBe(
      'UK-7-Jane (run_1)',
    );
  });

  it('report template references with unknown roots as argument problems', () => {
    expect(argProblems('template', { template: '[[record.id]]' })).toEqual([
      expect.stringMatching(/^args\.template .*unknown root "record"/),
    ]);
  });

  it('name unknown arguments and the ones the transform takes', () => {
    expect(argProblems('concat', { seperator: ' ' })).toEqual(['args.seperator is not an argument of concat; concat takes separator']);
    expect(argProblems('trim', { x: 1 })).toEqual(['args.x is not an argument of trim; trim takes no arguments']);
    expect(argProblems('trim', 'nope')).toEqual(['args must be an object']);
    expect(argProblems('trim', JSON.parse('{"__proto__": 1}'))).toEqual([expect.stringMatching(/^args\.__proto__ is not an argument/)]);
  });
});
