import { describe, expect, it } from 'vitest';
import { TRANSFORM_NAMES } from '../../../schema/src/shapes/transform-names.js';
import { compileTransform, TRANSFORMS, transformDef } from './index.js';

describe('the transform registry', () => {
  it('has exactly the transform names the schema lists', () => {
    expect(Object.keys(TRANSFORMS).sort()).toEqual([...TRANSFORM_NAMES].sort());
  });

  it('has cache_lookup, which reads caches asynchronously', () => {
    expect(transformDef('cache_lookup')?.async).toBe(true);
  });

  it('has lookup and script', () => {
    expect(transformDef('lookup')?.category).toBe('other');
    expect(transformDef('script')?.async).toBe(true);
  });

  it('does not take inherited names for transforms', () => {
    expect(transformDef('toString')).toBeUndefined();
    expect(transformDef('__proto__')).toBeUndefined();
  });

  it('describes every transform and every argument', () => {
    for (const def of Object.values(TRANSFORMS)) {
      expect(def.description).not.toBe('');
      for (const spec of Object.values(def.args)) expect(spec.description).not.toBe('');
    }
  });

  it('marks only expression, script and cache_lookup as asynchronous', () => {
    expect(
      Object.entries(TRANSFORMS)
        .filter(([, d]) => d.async)
        .map(([n]) => n),
    ).toEqual(['expression', 'script', 'cache_lookup']);
  });
});

describe('compileTransform', () => {
  it('names an unknown transform and lists the known ones', () => {
    expect(compileTransform('upper', {}).problems).toEqual([
      { path: 'fn', message: expect.stringMatching(/^unknown transform "upper"; known transforms: uppercase, /) },
    ]);
    expect(compileTransform(5, {}).problems).toEqual([{ path: 'fn', message: 'must be a string' }]);
  });

  it('returns argument problems instead of a transform', () => {
    const result = compileTransform('concat', { separator: 3 });
    expect(result.transform).toBeUndefined();
    expect(result.problems).toEqual([{ path: 'args.separator', message: 'must be a string' }]);
  });

  it('compiles a transform without args', () => {
    expect(compileTransform('trim', undefined).transform?.apply('  a ', {} as never)).toBe('a');
  });
});
