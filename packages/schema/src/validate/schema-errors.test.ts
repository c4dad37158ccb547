import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { schemaProblems } from './schema-errors.js';

const Rule = Type.Object({ source: Type.String(), target: Type.String({ minLength: 1 }) }, { additionalProperties: false });

describe('schemaProblems', () => {
  it('finds nothing wrong with a value that fits', () => {
    expect(schemaProblems(Rule, { source: 'a', target: 'b' })).toEqual([]);
  });

  it('turns TypeBox pointers into field paths under the base path', () => {
    const schema = Type.Object({ rules: Type.Array(Rule) });
    expect(
      schemaProblems(
        schema,
        {
          rules: [
            { source: 'a', target: 'b' },
            { source: 1, target: 'b' },
          ],
        },
        'steps[1].config',
      ),
    ).toEqual([{ path: 'steps[1].config.rules[1].source', message: 'must be a string' }]);
  });

  it('reports a missing property once, as required', () => {
    expect(schemaProblems(Rule, { source: 'a' })).toEqual([{ path: 'target', message: 'is required' }]);
  });

  it('names an unknown property', () => {
    expect(schemaProblems(Rule, { source: 'a', target: 'b', extra: 1 })).toEqual([{ path: 'extra', message: 'unknown field "extra"' }]);
  });

  it('says a record key of the wrong form is a bad name rather than an unknown field', () => {
    const schema = Type.Object({
      headers: Type.Record(Type.String({ pattern: '^[A-Za-z-]+$' }), Type.String(), { additionalProperties: false }),
    });
    expect(schemaProblems(schema, { headers: { 'Bad Header': 'x' } })).toEqual([
      { path: 'headers["Bad Header"]', message: 'name "Bad Header" is not allowed; names must match ^[A-Za-z-]+$' },
    ]);
  });

  it('uses the errorMessage of a record for a key of the wrong form', () => {
    const schema = Type.Record(Type.String({ pattern: '^[a-z]+$' }), Type.String(), {
      additionalProperties: false,
      errorMessage: 'must be a lowercase name',
    });
    expect(schemaProblems(schema, { A: 'x' })).toEqual([{ path: 'A', message: 'must be a lowercase name' }]);
  });

  it('lists the values of a union of literals', () => {
    const schema = Type.Object({ method: Type.Union([Type.Literal('GET'), Type.Literal('POST'), Type.Literal(3)]) });
    expect(schemaProblems(schema, { method: 'FETCH' })).toEqual([{ path: 'method', message: 'must be one of GET, POST, 3' }]);
  });

  it('names the types a union of types accepts', () => {
    const schema = Type.Object({ allow: Type.Union([Type.Boolean(), Type.Array(Type.Integer())]) });
    expect(schemaProblems(schema, { allow: 'yes' })).toEqual([{ path: 'allow', message: 'must be true or false or an array' }]);
  });

  it('reports what is wrong inside the union member the value was meant to be', () => {
    const schema = Type.Object({ allow: Type.Union([Type.Boolean(), Type.Array(Type.Integer({ maximum: 599 }))]) });
    expect(schemaProblems(schema, { allow: [200, 700] })).toEqual([{ path: 'allow[1]', message: 'must be at most 599' }]);
  });

  it('picks the union member whose discriminator matches', () => {
    const schema = Type.Union([
      Type.Object({ kind: Type.Literal('instance'), instance: Type.String() }),
      Type.Object({ kind: Type.Literal('inline'), url: Type.String(), method: Type.String(), headers: Type.Object({}) }),
    ]);
    expect(schemaProblems(schema, { kind: 'inline', url: 5, method: 'GET', headers: {} })).toEqual([
      { path: 'url', message: 'must be a string' },
    ]);
  });

  it('uses a schema errorMessage for constraint failures but not for a wrong type', () => {
    const schema = Type.Object({ code: Type.String({ pattern: '^[A-Z]{3}$', errorMessage: 'must be three capital letters, as EUR' }) });
    expect(schemaProblems(schema, { code: 'eur' })).toEqual([{ path: 'code', message: 'must be three capital letters, as EUR' }]);
    expect(schemaProblems(schema, { code: 978 })).toEqual([{ path: 'code', message: 'must be a string' }]);
  });

  it('explains patterns, lengths, ranges and counts', () => {
    const schema = Type.Object({
      code: Type.String({ pattern: '^[a-z]+$' }),
      name: Type.String({ minLength: 2, maxLength: 3 }),
      size: Type.Integer({ minimum: 1 }),
      ratio: Type.Number({ exclusiveMaximum: 1 }),
      step: Type.Number({ multipleOf: 5 }),
      tags: Type.Array(Type.String(), { minItems: 2, uniqueItems: true }),
      list: Type.Array(Type.String(), { maxItems: 1 }),
    });
    const problems = schemaProblems(schema, { code: 'A', name: 'abcd', size: 0, ratio: 1, step: 7, tags: ['x'], list: ['a', 'b'] });
    expect(problems.map((p) => `${p.path} ${p.message}`)).toEqual([
      'code must match the pattern ^[a-z]+$',
      'name must be at most 3 characters',
      'size must be at least 1',
      'ratio must be less than 1',
      'step must be a multiple of 5',
      'tags must have at least 2 items',
      'list must have at most 1 items',
    ]);
  });

  it('says an empty string or array must not be empty', () => {
    const schema = Type.Object({ name: Type.String({ minLength: 1 }), rules: Type.Array(Type.String(), { minItems: 1 }) });
    expect(schemaProblems(schema, { name: '', rules: [] }).map((p) => p.message)).toEqual(['must not be empty', 'must not be empty']);
  });

  it('tells an integer from a number', () => {
    expect(schemaProblems(Type.Object({ n: Type.Integer() }), { n: 1.5 })).toEqual([{ path: 'n', message: 'must be an integer' }]);
  });

  it('keeps numeric keys of an object apart from array indices', () => {
    const schema = Type.Object({ codes: Type.Record(Type.String(), Type.String()), list: Type.Array(Type.String()) });
    expect(schemaProblems(schema, { codes: { '404': 1 }, list: [1] }).map((p) => p.path)).toEqual(['codes["404"]', 'list[0]']);
  });

  it('brackets keys that are not plain identifiers and unescapes JSON pointer characters', () => {
    const schema = Type.Object({ headers: Type.Record(Type.String(), Type.String()) });
    expect(schemaProblems(schema, { headers: { 'Content-Type': 1, 'a/b~c': 2 } }).map((p) => p.path)).toEqual([
      'headers["Content-Type"]',
      'headers["a/b~c"]',
    ]);
  });

  it('reports an intersection by its members without a summary', () => {
    const schema = Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.Number() })], { unevaluatedProperties: false });
    expect(schemaProblems(schema, { a: 1, b: 2 })).toEqual([{ path: 'a', message: 'must be a string' }]);
    expect(schemaProblems(schema, { a: 'x', b: 2, c: 3 })).toEqual([{ path: 'c', message: 'unknown field "c"' }]);
  });

  it('reports a wrong root value at the base path', () => {
    expect(schemaProblems(Rule, 'rule', 'steps[0].config')).toEqual([{ path: 'steps[0].config', message: 'must be an object' }]);
    expect(schemaProblems(Rule, null)).toEqual([{ path: '', message: 'must be an object' }]);
  });

  it('gives the same answer when a schema is used again', () => {
    const value = { source: 1, target: '' };
    expect(schemaProblems(Rule, value)).toEqual(schemaProblems(Rule, value));
  });
});
