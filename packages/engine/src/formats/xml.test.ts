import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXml, writeXml, xmlCodec } from './xml.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../../shared/fixtures/${name}`, import.meta.url), 'utf8');

describe('parseXml', () => {
  it('reads attributes as @_ keys, repeated elements as arrays and keeps values as strings', () => {
    expect(parseXml(fixture('orders.xml'))).toEqual({
      orders: {
        order: [
          {
            '@_id': 'LMUK62388',
            carrier: 'EVRI',
            line: [
              { sku: '42108803101', quantity: '3', tracking: 'T042RA0001996850' },
              { sku: '42108803102', quantity: '1', tracking: 'T042RA0001996851' },
            ],
          },
          { '@_id': 'LMUK62389', carrier: 'DPD', line: { sku: '42108803199', quantity: '2', tracking: '15501234567890' } },
        ],
      },
    });
  });

  it('puts text beside attributes under #text and decodes standard entities and character references', () => {
    expect(parseXml('<a x="1&amp;2">A &lt; B &#x263A;</a>')).toEqual({ a: { '@_x': '1&2', '#text': 'A < B ☺' } });
  });

  it('reads CDATA as text and drops comments', () => {
    expect(parseXml('<a><!-- note --><b><![CDATA[x < y]]></b></a>')).toEqual({ a: { b: 'x < y' } });
  });

  it('refuses a DOCTYPE with XML_REFUSED and expands nothing', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(() => parseXml(bomb)).toThrow(expect.objectContaining({ code: 'XML_REFUSED' }));
  });

  it('refuses external entities (XXE) and lower-case doctype spellings', () => {
    expect(() => parseXml('<!doctype x SYSTEM "file:///etc/passwd"><x/>')).toThrow(expect.objectContaining({ code: 'XML_REFUSED' }));
    expect(() => parseXml('<x><!ENTITY e SYSTEM "http://169.254.169.254/"></x>')).toThrow(expect.objectContaining({ code: 'XML_REFUSED' }));
  });

  it('refuses XInclude references', () => {
    const xml = '<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"/></a>';
    expect(() => parseXml(xml)).toThrow(expect.objectContaining({ code: 'XML_REFUSED' }));
  });

  it('leaves an undeclared entity reference as written', () => {
    expect(parseXml('<a>&xxe;</a>')).toEqual({ a: '&xxe;' });
  });

  it('rejects malformed XML with PAYLOAD_FORMAT_ERROR naming line and column', () => {
    expect(() => parseXml('<a>\n<b></a>')).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR', message: expect.stringMatching(/line 2 column/) }),
    );
    expect(() => parseXml('not xml')).toThrow(expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR' }));
  });

  it('keeps __proto__, constructor and prototype elements as plain data', () => {
    const value = parseXml(
      '<a><__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor><prototype>p</prototype><toString>t</toString></a>',
    ) as {
      a: Record<string, unknown>;
    };
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value.a)).toBe(Object.prototype);
    expect(Object.keys(value.a)).toEqual(['__proto__', 'constructor', 'prototype', 'toString']);
    expect(Object.getOwnPropertyDescriptor(value.a, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(value.a.toString).toBe('t');
  });
});

describe('writeXml', () => {
  it('writes the single top-level key as the root element with attributes and text', () => {
    expect(writeXml({ order: { '@_id': 'A&1', sku: ['x', 'y'], note: { '@_lang': 'en', '#text': 'a < b' } } })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<order id="A&amp;1"><sku>x</sku><sku>y</sku><note lang="en">a &lt; b</note></order>',
    );
  });

  it('wraps a list as root/item elements and a several-key object under root', () => {
    expect(writeXml([{ a: 1 }, { a: 2 }])).toContain('<root><item><a>1</a></item><item><a>2</a></item></root>');
    expect(writeXml({ a: 1, b: 2 })).toContain('<root><a>1</a><b>2</b></root>');
    expect(writeXml('hello')).toContain('<root>hello</root>');
  });

  it('round-trips the orders fixture through parse and write', () => {
    const parsed = parseXml(fixture('orders.xml'));
    expect(xmlCodec.parse(xmlCodec.serialise(parsed))).toEqual(parsed);
  });

  it('rejects keys that are not element names with PAYLOAD_FORMAT_ERROR', () => {
    expect(() => writeXml({ root: { 'first name': 'x' } })).toThrow(expect.objectContaining({ code: 'PAYLOAD_FORMAT_ERROR' }));
  });
});
