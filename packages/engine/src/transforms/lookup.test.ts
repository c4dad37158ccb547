import { describe, expect, it } from 'vitest';
import { LookupIndex } from './lookup-index.js';
import { applyTransform as apply, argProblems, testContext } from './test-support/apply.js';

const countries = new LookupIndex([
  { left: 'GB', right: 'United Kingdom' },
  { left: 'UK', right: 'United Kingdom' },
  { left: 'FR', right: 'France' },
  { left: '1', right: 'one' },
]);
const ctx = testContext({ lookupTable: (name) => (name === 'countries' ? countries : undefined) });

describe('the lookup transform', () => {
  it('gives the right value for a left value by default', async () => {
    expect(await apply('lookup', { table: 'countries' }, 'FR', ctx)).toBe('France');
    expect(await apply('lookup', { table: 'countries', direction: 'left_to_right' }, 'GB', ctx)).toBe('United Kingdom');
  });

  it('looks right to left, taking the first row that has the value', async () => {
    expect(await apply('lookup', { table: 'countries', direction: 'right_to_left' }, 'United Kingdom', ctx)).toBe('GB');
  });

  it('reads numbers and booleans as their text and looks up each element of a list', async () => {
    expect(await apply('lookup', { table: 'countries' }, 1, ctx)).toBe('one');
    expect(await apply('lookup', { table: 'countries' }, ['FR', null, 'UK'], ctx)).toEqual(['France', null, 'United Kingdom']);
  });

  it('compares exactly unless told to ignore case', async () => {
    expect(await apply('lookup', { table: 'countries' }, 'fr', ctx)).toBe('fr');
    expect(await apply('lookup', { table: 'countries', ignore_case: true }, 'fr', ctx)).toBe('France');
    expect(await apply('lookup', { table: 'countries', direction: 'right_to_left', ignore_case: true }, 'FRANCE', ctx)).toBe('FR');
  });

  it('keeps, replaces, empties or fails on a miss as on_miss says', async () => {
    expect(await apply('lookup', { table: 'countries' }, 'DE', ctx)).toBe('DE');
    expect(await apply('lookup', { table: 'countries', on_miss: 'keep' }, 7, ctx)).toBe(7);
    expect(await apply('lookup', { table: 'countries', on_miss: 'default', default: 'Unknown' }, 'DE', ctx)).toBe('Unknown');
    expect(await apply('lookup', { table: 'countries', on_miss: 'default', default: null }, 'DE', ctx)).toBeNull();
    expect(await apply('lookup', { table: 'countries', on_miss: 'empty' }, 'DE', ctx)).toBe('');
    await expect(apply('lookup', { table: 'countries', on_miss: 'fail' }, 'DE', ctx)).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: 'lookup: "DE" is not a left value of table "countries" (on_miss is fail)',
    });
    await expect(apply('lookup', { table: 'countries', on_miss: 'fail', direction: 'right_to_left' }, 'Spain', ctx)).rejects.toMatchObject({
      message: expect.stringContaining('is not a right value'),
    });
  });

  it('leaves a missing value missing', async () => {
    expect(await apply('lookup', { table: 'countries', on_miss: 'fail' }, undefined, ctx)).toBeUndefined();
  });

  it('fails on an unknown table, on structures, and where no tables can be read', async () => {
    await expect(apply('lookup', { table: 'nope' }, 'FR', ctx)).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringMatching(/^lookup table "nope" does not exist in this company/),
    });
    await expect(apply('lookup', { table: 'countries' }, { a: 1 }, ctx)).rejects.toMatchObject({
      message: 'lookup needs text, a number or true/false, got an object',
    });
    await expect(apply('lookup', { table: 'countries' }, 'FR')).rejects.toMatchObject({
      message: expect.stringContaining('cannot be read here'),
    });
  });

  it('refuses bad arguments with their paths', () => {
    expect(argProblems('lookup', {})).toEqual(['args.table is required']);
    expect(argProblems('lookup', { table: '' })).toEqual(['args.table must not be empty']);
    expect(argProblems('lookup', { table: 't', direction: 'up' })).toEqual(['args.direction must be one of left_to_right, right_to_left']);
    expect(argProblems('lookup', { table: 't', on_miss: 'skip' })).toEqual(['args.on_miss must be one of keep, default, empty, fail']);
    expect(argProblems('lookup', { table: 't', on_miss: 'default' })).toEqual(['args.default is required when on_miss is default']);
    expect(argProblems('lookup', { table: 't', default: 'x' })).toEqual([
      'args.default is only used when on_miss is default; set on_miss to default or remove it',
    ]);
    expect(argProblems('lookup', { table: 't', ignore_case: 'yes' })).toEqual(['args.ignore_case must be true or false']);
  });
});
