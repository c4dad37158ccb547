import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csvCodec, parseCsv, writeCsv } from './csv.js';

const products = readFileSync(new URL('../../../../../shared/fixtures/products.csv', import.meta.url));

describe('parseCsv', () => {
  it('turns the header row and each further row into objects of strings, honouring quotes', () => {
    expect(parseCsv(products)).toEqual([
      { sku: '42108803101', name: 'Linen shirt, blue', price: '39.00', stock: '12', active: 'true' },
      { sku: '42108803102', name: 'Wool scarf', price: '24.50', stock: '0', active: 'false' },
      { sku: '42108803199', name: 'Canvas tote "XL"', price: '15.00', stock: '140', active: 'true' },
    ]);
  });

  it('reads CRLF line ends, a byte order mark and quoted line breaks, skipping blank lines', () => {
    expect(parseCsv('\ufeffa,b\r\n1,"x\r\ny"\r\n\r\n')).toEqual([{ a: '1', b: 'x\r\ny' }]);
  });

  it('gives an empty list for an empty document or a header alone', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('a,b\n')).toEqual([]);
  });

  it('rejects a row with a different number of fields, naming the line', () => {
    expect(() => parseCsv('a,b\n1,2\n3,4,5\n')).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR', message: expect.stringMatching(/line 3/) }),
    );
  });

  it('rejects an unclosed quote and a stray quote', () => {
    expect(() => parseCsv('a,b\n"1,2\n')).toThrow(expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR' }));
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow(expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR' }));
  });

  it('rejects a header that names a column twice', () => {
    expect(() => parseCsv('a,a\n1,2\n')).toThrow(/column "a" twice/);
  });

  it('keeps __proto__ and constructor columns as plain data', () => {
    const [row] = parseCsv('__proto__,constructor\n{},x\n') as Record<string, string>[];
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('{}');
  });
});

describe('writeCsv', () => {
  it('writes a header of every key in first-seen order and quotes per RFC 4180', () => {
    expect(
      writeCsv([
        { a: 'x,y', b: 'say "hi"' },
        { b: 2, c: null, a: 'line\nbreak' },
      ]),
    ).toBe('a,b,c\n"x,y","say ""hi""",\n"line\nbreak",2,\n');
  });

  it('writes nested values as JSON and one object as a single row', () => {
    expect(writeCsv({ a: { b: 1 }, c: [1, 2] })).toBe('a,c\n"{""b"":1}","[1,2]"\n');
  });

  it('round-trips the products fixture', () => {
    const rows = csvCodec.parse(products);
    expect(csvCodec.parse(csvCodec.serialise(rows))).toEqual(rows);
  });

  it('writes nothing for an empty list', () => {
    expect(writeCsv([])).toBe('');
  });

  it('rejects a list holding something other than objects', () => {
    expect(() => writeCsv([{ a: 1 }, 'x'])).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR', message: expect.stringMatching(/element 1 is a string/) }),
    );
    expect(() => writeCsv(5)).toThrow(/element 0 is a number/);
  });
});
