import { describe, expect, it } from 'vitest';
import { applyTransform as apply, argProblems, testContext } from './test-support/apply.js';

describe('other transforms', () => {
  it('use a default for missing, null, empty text and empty lists only', async () => {
    for (const empty of [undefined, null, '', []]) expect(await apply('default', { value: 'n/a' }, empty)).toBe('n/a');
    for (const kept of [0, false, 'x', [1]]) expect(await apply('default', { value: 'n/a' }, kept)).toEqual(kept);
    expect(argProblems('default', {})).toEqual(['args.value is required']);
  });

  it('give a constant whatever the value', async () => {
    expect(await apply('constant', { value: { a: [1] } }, 'anything')).toEqual({ a: [1] });
    expect(await apply('constant', { value: null }, undefined)).toBeNull();
  });

  it('read booleans from the default word lists, case and spaces ignored', async () => {
    expect(await apply('to_boolean', {}, ' YES ')).toBe(true);
    expect(await apply('to_boolean', {}, 'off')).toBe(false);
    expect(await apply('to_boolean', {}, 1)).toBe(true);
    expect(await apply('to_boolean', {}, false)).toBe(false);
    expect(await apply('to_boolean', {}, ['y', 'n'])).toEqual([true, false]);
  });

  it('read booleans from custom word lists, with a default for other words', async () => {
    const args = { true_values: ['Active'], false_values: ['Inactive'], default: false };
    expect(await apply('to_boolean', args, 'active')).toBe(true);
    expect(await apply('to_boolean', args, 'yes')).toBe(false);
  });

  it('refuse an unknown word without a default, listing the words', async () => {
    await expect(apply('to_boolean', {}, 'maybe')).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringMatching(/^to_boolean cannot read "maybe" as true or false; true: true, yes/),
    });
  });

  it('reject word lists that are not lists of text or that overlap', () => {
    expect(argProblems('to_boolean', { true_values: 'yes' })).toEqual(['args.true_values must be a list of strings']);
    expect(argProblems('to_boolean', { true_values: ['x'], false_values: ['X'] })).toEqual([
      'args.false_values "X" is also in true_values',
    ]);
  });

  it('evaluate a JSONata expression over the value, record, input and flow variables', async () => {
    const ctx = testContext({ record: () => ({ qty: 3, price: 2.5 }), input: () => [1, 2], variables: { rate: '2' } });
    expect(await apply('expression', { expression: '$ * 2' }, 21, ctx)).toBe(42);
    expect(await apply('expression', { expression: '$record.qty * $record.price' }, undefined, ctx)).toBe(7.5);
    expect(await apply('expression', { expression: '$count($input) * $number($flow.rate)' }, undefined, ctx)).toBe(4);
    expect(await apply('expression', { expression: '$map($, function($v){$v + 1})' }, [1, 2], ctx)).toEqual([2, 3]);
  });

  it('reject an expression that does not parse', () => {
    expect(argProblems('expression', { expression: '$ +' })).toEqual([
      expect.stringMatching(/^args\.expression is not valid JSONata: .*position/),
    ]);
  });

  it('fail a runtime error, a runaway recursion or a long loop with MAP_ERROR', async () => {
    await expect(apply('expression', { expression: '$number("x")' }, 1)).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringContaining('expression failed on 1'),
    });
    await expect(apply('expression', { expression: '($f := function($x){ $f($x) }; $f(1))' }, 1)).rejects.toMatchObject({
      code: 'MAP_ERROR',
    });
  });

  it('keep __proto__ keys an expression builds as plain data', async () => {
    const result = (await apply('expression', { expression: '{"__proto__": {"polluted": true}}' }, 1)) as object;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['__proto__']);
  });
});
