import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Payload } from '../payload.js';
import { detectFormat } from './index.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../../shared/fixtures/${name}`, import.meta.url));

describe('format registration', () => {
  it('lets a payload of every format parse and serialise once formats/ is imported', () => {
    expect(Payload.fromBytes(Buffer.from('[1]'), 'json').value()).toEqual([1]);
    expect(Payload.fromBytes(Buffer.from('<a>1</a>'), 'xml').value()).toEqual({ a: '1' });
    expect(Payload.fromBytes(Buffer.from('a,b\n1,2\n'), 'csv').value()).toEqual([{ a: '1', b: '2' }]);
    expect(Payload.fromBytes(Buffer.from('hi'), 'text').value()).toBe('hi');
    expect(Payload.fromValue([{ a: '1' }], 'csv').text()).toBe('a\n1\n');
  });

  it('surfaces parse errors of a payload as PAYLOAD_FORMAT_ERROR', () => {
    expect(() => Payload.fromBytes(Buffer.from('{oops'), 'json').value()).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR' }),
    );
  });
});

describe('detectFormat', () => {
  it('recognises each fixture', () => {
    expect(detectFormat(fixture('customers-10.json'))).toBe('json');
    expect(detectFormat(fixture('orders.xml'))).toBe('xml');
    expect(detectFormat(fixture('products.csv'))).toBe('csv');
    expect(detectFormat(fixture('note.txt'))).toBe('text');
  });

  it('takes anything that parses as JSON as JSON, after whitespace and a byte order mark', () => {
    expect(detectFormat(Buffer.from('\ufeff  {"a":1}'))).toBe('json');
    expect(detectFormat(Buffer.from('42'))).toBe('json');
    expect(detectFormat(Buffer.from('"quoted"'))).toBe('json');
  });

  it('falls back to text for JSON-looking input that does not parse', () => {
    expect(detectFormat(Buffer.from('{"a":'))).toBe('text');
    expect(detectFormat(Buffer.from('1 apple'))).toBe('text');
  });

  it('takes well-formed markup as XML and broken markup as text', () => {
    expect(detectFormat(Buffer.from('\n <a><b/></a>'))).toBe('xml');
    expect(detectFormat(Buffer.from('<a><b></a>'))).toBe('text');
    expect(detectFormat(Buffer.from('< not markup'))).toBe('text');
  });

  it('takes XML with a DOCTYPE as XML so that reading it is refused', () => {
    const bytes = Buffer.from('<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>');
    expect(detectFormat(bytes)).toBe('xml');
    expect(() => Payload.fromBytes(bytes, 'xml').value()).toThrow(expect.objectContaining({ code: 'XML_REFUSED' }));
  });

  it('needs a header of two or more fields and a matching further line for CSV', () => {
    expect(detectFormat(Buffer.from('a,b\n1,2'))).toBe('csv');
    expect(detectFormat(Buffer.from('a,b\n'))).toBe('text');
    expect(detectFormat(Buffer.from('a,b\n1,2,3\n'))).toBe('text');
    expect(detectFormat(Buffer.from('just\ntwo lines'))).toBe('text');
    expect(detectFormat(Buffer.from('a,b\n"unclosed,2\n'))).toBe('text');
  });

  it('calls an empty or blank payload text', () => {
    expect(detectFormat(Buffer.alloc(0))).toBe('text');
    expect(detectFormat(Buffer.from(' \n '))).toBe('text');
  });
});
