import { describe, expect, it } from 'vitest';
import { applyTransform as apply, argProblems } from './test-support/apply.js';

describe('number transforms', () => {
  it('read numbers from text', async () => {
    expect(await apply('to_number', {}, '12.50')).toBe(12.5);
    expect(await apply('to_number', {}, ' -3 ')).toBe(-3);
    expect(await apply('to_number', {}, '1,234.5')).toBe(1234.5);
    expect(await apply('to_number', {}, '1e3')).toBe(1000);
    expect(await apply('to_number', { decimal_separator: ',' }, '1.234,5')).toBe(1234.5);
    expect(await apply('to_number', { decimal_separator: ',' }, '12,5')).toBe(12.5);
    expect(await apply('to_number', {}, 7)).toBe(7);
    expect(await apply('to_number', {}, true)).toBe(1);
  });

  it('give null for empty text and leave a missing value missing', async () => {
    expect(await apply('to_number', {}, '  ')).toBeNull();
    expect(await apply('to_number', {}, undefined)).toBeUndefined();
  });

  it('refuse text that is not a number, naming the transform and the value', async () => {
    await expect(apply('to_number', {}, 'abc')).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: 'to_number cannot read "abc" as a number',
    });
    for (const bad of ['0x10', 'Infinity', '1,2', '12 apples', '1.2.3'])
      await expect(apply('to_number', {}, bad)).rejects.toMatchObject({ code: 'MAP_ERROR' });
    await expect(apply('to_number', {}, { a: 1 })).rejects.toMatchObject({ message: 'to_number cannot read an object as a number' });
  });

  it('do arithmetic without binary noise', async () => {
    expect(await apply('multiply', { by: 100 }, 19.75)).toBe(1975);
    expect(await apply('add', { by: 0.2 }, 0.1)).toBe(0.3);
    expect(await apply('subtract', { by: 1 }, '10')).toBe(9);
    expect(await apply('divide', { by: 4 }, 10)).toBe(2.5);
  });

  it('reject a missing, non-numeric or zero divisor', () => {
    expect(argProblems('multiply', {})).toEqual(['args.by is required']);
    expect(argProblems('add', { by: '2' })).toEqual(['args.by must be a number']);
    expect(argProblems('divide', { by: 0 })).toEqual(['args.by must not be 0']);
  });

  it('refuse arithmetic on something that is not a number', async () => {
    await expect(apply('multiply', { by: 2 }, 'ten')).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: 'multiply needs a number, got "ten"',
    });
  });

  it('round half away from zero at the decimal value meant', async () => {
    expect(await apply('round', { places: 0 }, 1249.9999999999998)).toBe(1250);
    expect(await apply('round', {}, 2.5)).toBe(3);
    expect(await apply('round', {}, -2.5)).toBe(-3);
    expect(await apply('round', { places: 2 }, 1.005)).toBe(1.01);
    expect(await apply('round', { places: -2 }, 1250)).toBe(1300);
    expect(argProblems('round', { places: 1.5 })).toEqual(['args.places must be an integer']);
    expect(argProblems('round', { places: 99 })).toEqual(['args.places must be at most 15']);
  });

  it('floor and ceil at decimal places', async () => {
    expect(await apply('floor', {}, 2.7)).toBe(2);
    expect(await apply('floor', { places: 1 }, -2.75)).toBe(-2.8);
    expect(await apply('ceil', { places: 1 }, 2.71)).toBe(2.8);
    expect(await apply('ceil', {}, -0.5)).toBe(0);
  });

  it('format numbers with fixed places and separators', async () => {
    expect(await apply('format_number', { places: 2 }, 12.5)).toBe('12.50');
    expect(await apply('format_number', { places: 2, thousands_separator: ',' }, 1234567.891)).toBe('1,234,567.89');
    expect(await apply('format_number', { places: 1, decimal_separator: ',', thousands_separator: '.' }, -1234.56)).toBe('-1.234,6');
    expect(await apply('format_number', {}, 3.25)).toBe('3.25');
  });
});
