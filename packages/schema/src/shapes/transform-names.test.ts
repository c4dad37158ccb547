import { describe, expect, it } from 'vitest';
import { isTransformName, TRANSFORM_NAMES } from './transform-names.js';

describe('TRANSFORM_NAMES', () => {
  it('lists each name once', () => {
    expect(new Set(TRANSFORM_NAMES).size).toBe(TRANSFORM_NAMES.length);
  });

  it('includes the transforms the spec requires and leaves out those not built yet', () => {
    for (const name of ['concat', 'to_number', 'format_date', 'join', 'to_boolean', 'expression', 'lookup', 'script', 'cache_lookup'])
      expect(isTransformName(name)).toBe(true);
    for (const name of ['toString', '__proto__']) expect(isTransformName(name)).toBe(false);
  });
});
