import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { MapConfigSchema, mapConfigProblems, pathFormProblem } from './map.js';

const W1 = {
  rules: [
    { source: '*.id', target: '*.customerId' },
    { sources: ['*.first_name', '*.last_name'], target: '*.fullName', transforms: [{ fn: 'concat', args: { separator: ' ' } }] },
    { source: '*.email', target: '*.email', transforms: [{ fn: 'lowercase' }, { fn: 'trim' }] },
    {
      source: '*.total',
      target: '*.totalPence',
      transforms: [{ fn: 'to_number' }, { fn: 'multiply', args: { by: 100 } }, { fn: 'round', args: { places: 0 } }],
    },
  ],
};

describe('MapConfigSchema', () => {
  it('accepts the W1 rules and every output format', () => {
    expect(Value.Check(MapConfigSchema, W1)).toBe(true);
    for (const output_format of ['json', 'xml', 'csv', 'text'])
      expect(Value.Check(MapConfigSchema, { ...W1, output_format, wrap_input: 'a', wrap_output: 'b' })).toBe(true);
  });

  it('rejects an empty rule list, an empty target and unknown fields', () => {
    expect(Value.Check(MapConfigSchema, { rules: [] })).toBe(false);
    expect(Value.Check(MapConfigSchema, { rules: [{ source: 'a', target: '' }] })).toBe(false);
    expect(Value.Check(MapConfigSchema, { rules: [{ source: 'a', target: 'b', extra: 1 }] })).toBe(false);
    expect(Value.Check(MapConfigSchema, { rules: [{ source: 'a', target: 'b', transforms: [{ fn: 'trim', extra: 1 }] }] })).toBe(false);
    expect(Value.Check(MapConfigSchema, { ...W1, surprise: true })).toBe(false);
  });

  it('rejects an unknown output format, empty wrap keys and empty sources', () => {
    expect(Value.Check(MapConfigSchema, { ...W1, output_format: 'yaml' })).toBe(false);
    expect(Value.Check(MapConfigSchema, { ...W1, wrap_output: '' })).toBe(false);
    expect(Value.Check(MapConfigSchema, { rules: [{ sources: [], target: 'x' }] })).toBe(false);
  });

  it('requires transform args to be an object', () => {
    expect(Value.Check(MapConfigSchema, { rules: [{ target: 'x', transforms: [{ fn: 'constant', args: 5 }] }] })).toBe(false);
  });
});

describe('mapConfigProblems', () => {
  it('finds nothing wrong with the W1 rules', () => {
    expect(mapConfigProblems(W1)).toEqual([]);
  });

  it('reports source with sources, malformed paths, a $target target and unknown transforms', () => {
    expect(
      mapConfigProblems({
        rules: [
          { source: 'a', sources: ['b'], target: 'c' },
          { sources: ['ok', 'a..b'], target: 'x.' },
          { source: '$target.a..b', target: '$target.x', transforms: [{ fn: 'uppercse' }] },
        ],
      }),
    ).toEqual([
      { path: 'rules[0]', message: expect.stringContaining('both source and sources') },
      { path: 'rules[1].sources[1]', message: expect.stringContaining('empty segment') },
      { path: 'rules[1].target', message: expect.stringContaining('empty segment') },
      { path: 'rules[2].source', message: expect.stringContaining('empty segment') },
      { path: 'rules[2].target', message: 'must be a path in the output, without "$target"' },
      { path: 'rules[2].transforms[0].fn', message: expect.stringContaining('unknown transform "uppercse" (did you mean "uppercase"?)') },
    ]);
  });
});

describe('pathFormProblem', () => {
  it('accepts escaped dots and the empty path, and rejects empty segments and a lone backslash', () => {
    expect(pathFormProblem('price\\.eur.*.x')).toBeUndefined();
    expect(pathFormProblem('')).toBeUndefined();
    expect(pathFormProblem('a..b')).toMatch(/empty segment/);
    expect(pathFormProblem('.a')).toMatch(/empty segment/);
    expect(pathFormProblem('a\\')).toMatch(/lone/);
  });
});
