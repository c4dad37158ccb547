import { describe, expect, it } from 'vitest';
import { parseJsonBody } from './json-body.js';

describe('parseJsonBody', () => {
  it('parses ordinary JSON and treats an empty body as no body', () => {
    expect(parseJsonBody('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(parseJsonBody('')).toBeUndefined();
  });

  it("refuses invalid JSON with the parser's account of where it broke", () => {
    expect(() => parseJsonBody('{"a": }')).toThrow(/not valid JSON: Unexpected token/);
  });

  it('accepts 512 levels of nesting and refuses 513', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(() => parseJsonBody(nested(512))).not.toThrow();
    expect(() => parseJsonBody(nested(513))).toThrow(/deeper than 512/);
  });

  it('refuses a document with more than 1 000 000 keys', () => {
    const keys = Array.from({ length: 1_000_001 }, (_, i) => `"k${i}":0`).join(',');
    expect(() => parseJsonBody(`{${keys}}`)).toThrow(/more than 1000000 keys/);
  });

  it('keeps __proto__ as a plain own key without touching Object.prototype', () => {
    const value = parseJsonBody('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
