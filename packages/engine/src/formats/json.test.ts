import { describe, expect, it } from 'vitest';
import { jsonCodec, jsonErrorPosition, parseJson } from './json.js';

describe('jsonCodec', () => {
  it('parses and serialises a document', () => {
    const value = jsonCodec.parse(Buffer.from('{"a":[1,"x",null,true]}'));
    expect(value).toEqual({ a: [1, 'x', null, true] });
    expect(jsonCodec.serialise(value).toString()).toBe('{"a":[1,"x",null,true]}');
  });

  it('accepts a leading byte order mark', () => {
    expect(parseJson('\ufeff[1]')).toEqual([1]);
  });

  it('writes undefined as null so the bytes always parse', () => {
    expect(jsonCodec.serialise(undefined).toString()).toBe('null');
  });

  it('keeps __proto__ and constructor keys as plain data', () => {
    const value = parseJson('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(jsonCodec.serialise(value).toString()).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
  });

  it('rejects malformed JSON with PAYLOAD_FORMAT_ERROR giving line, column and position', () => {
    expect(() => parseJson('{\n  "a": 1,\n  "b": }')).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR', message: expect.stringContaining('line 3 column 8 (position 19') }),
    );
  });

  it('says so when the payload ends too early or is empty', () => {
    expect(() => parseJson('[1, 2')).toThrow(/position 5, at the end of the input/);
    expect(() => parseJson('  ')).toThrow(/JSON payload is empty/);
  });

  it('points at trailing content after a complete document', () => {
    expect(() => parseJson('{"a":1} x')).toThrow(/position 8/);
  });
});

describe('jsonErrorPosition', () => {
  it.each([
    ['{"a" 1}', 5],
    ['[1,]', 3],
    ['{"a":tru}', 8],
    ['"bad \\q escape"', 6],
    ['[01]', 2],
    ['{"a":1,}', 7],
    ['[1 2]', 3],
    ['{"a":"line\nbreak"}', 10],
    ['[-]', 2],
    ['[1.]', 3],
  ])('finds the problem in %j at %i', (text, position) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorPosition(text)).toBe(position);
  });

  it('scans deeply nested input without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}x`;
    expect(jsonErrorPosition(deep)).toBe(100_000);
  });

  it('serialises a large array to exactly the bytes of JSON.stringify, a slice at a time', () => {
    const items: unknown[] = Array.from({ length: 2500 }, (_, i) => ({ id: i, name: `Zoë Nguyễn ${i}`, tags: ['a', i], none: null }));
    items[3] = undefined;
    items[1000] = () => 1;
    items[1001] = 'text "quoted" \\ and\nnewline 😀';
    items[2499] = [[1], { deep: { er: true } }];
    delete items[1500]; // a hole
    const bytes = jsonCodec.serialise(items);
    expect(bytes.toString('utf8')).toBe(JSON.stringify(items));
    expect(JSON.parse(bytes.toString('utf8'))).toHaveLength(2500);
    for (const n of [1001, 2000, 2001]) {
      const exact = Array.from({ length: n }, (_, i) => i);
      expect(jsonCodec.serialise(exact).toString(), `${n} items`).toBe(JSON.stringify(exact));
    }
  });

  it('leaves a large array with its own toJSON to JSON.stringify', () => {
    const items = Object.assign(
      Array.from({ length: 1500 }, (_, i) => i),
      { toJSON: () => 'replaced' },
    );
    expect(jsonCodec.serialise(items).toString()).toBe('"replaced"');
  });
});
