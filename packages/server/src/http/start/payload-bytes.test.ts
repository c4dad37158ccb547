import { describe, expect, it } from 'vitest';
import { readPayloadString } from './payload-bytes.js';

/** What the ordinary path stores: JSON.parse, then the string's UTF-8. */
const reference = (body: string) => Buffer.from(JSON.parse(body).payload as string, 'utf8');
const read = (body: string | Buffer) => readPayloadString(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

/** Every character escaped as \uXXXX, as some clients send non-ASCII text. */
const escapeAll = (s: string) =>
  `"${[...Array(s.length).keys()].map((i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;

describe('readPayloadString', () => {
  it('gives the same bytes as JSON.parse for the stringified payloads clients send', () => {
    for (const payload of [
      '',
      '{"customers":[{"id":1,"name":"Zoë Nguyễn","note":"line\\nbreak \\"quoted\\" back\\\\slash"}]}',
      '<order id="1"><note>Ødegaard &amp; co</note></order>',
      'id,name\n1,Siobhán\n2,"O\'Brien, Jr."\n',
      'tab\there\r\nform\fback\bslash/solidus \u0000 nul \u001f unit',
      'emoji 😀 and 𝄞, CJK 漢字, RTL עברית',
    ]) {
      const body = JSON.stringify({ payload });
      expect(read(body), payload).toEqual(reference(body));
    }
  });

  it('decodes \\u escapes, surrogate pairs, and lone surrogates as Buffer.from writes them (U+FFFD)', () => {
    for (const s of ['é', 'ễ', '😀', '\ud83d', '\ude00', 'a\ud83db', '\ud83d\ud83d\ude00', '\ud83d\u0041', 'x\udbff\udfffy', '/']) {
      const body = `{"payload":${escapeAll(s)}}`;
      expect(read(body), JSON.stringify(s)).toEqual(reference(body));
    }
    expect(read('{"payload":"\\u00E9\\u00e9"}')).toEqual(Buffer.from('éé'));
    expect(read('{"payload":"\\/"}')).toEqual(Buffer.from('/'));
  });

  it('agrees with JSON.parse on random strings of every kind of character', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pool = ['a', ' ', '"', '\\', '/', '\n', '\t', '\u0001', 'é', 'ễ', '😀', '\ud800', '\udc00', '漢', '\u2028'];
    for (let n = 0; n < 500; n++) {
      let s = '';
      const length = Math.floor(random() * 40);
      for (let k = 0; k < length; k++) s += pool[Math.floor(random() * pool.length)];
      const body = random() < 0.5 ? JSON.stringify({ payload: s }) : `{"payload":${escapeAll(s)}}`;
      expect(read(body), JSON.stringify(s)).toEqual(reference(body));
    }
  });

  it('allows whitespace around the key, the colon and the braces', () => {
    const body = ' \r\n\t{ \n "payload" \t : \r\n "x\\ny" \n } \n';
    expect(read(body)).toEqual(reference(body));
  });

  it('handles a large payload, the case it exists for', () => {
    const records = Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `Zoë Nguyễn ${i}`, note: 'a "quoted" \\ value\n' }));
    const body = JSON.stringify({ payload: JSON.stringify(records) });
    // Buffer.equals: a deep comparison of half a megabyte, byte by byte, takes seconds.
    expect(read(body)?.equals(reference(body))).toBe(true);
  });

  it('leaves every other body to JSON.parse (undefined), so its errors stay the ordinary ones', () => {
    for (const body of [
      '',
      '   ',
      '{}',
      '[]',
      '"payload"',
      '{"payload":1}',
      '{"payload":null}',
      '{"payload":{"a":1}}',
      '{"payload":"a","variables":{}}',
      '{"variables":{},"payload":"a"}',
      '{"payload":"a","payload":"b"}',
      '{"payload":"a"} x',
      '{"payload":"a"}}',
      '{"payload":"a",}',
      '{"payload":"\\ud83d\\u12"}',
      '{"payload":"a"',
      '{"payload":"a',
      '{"payload":"a\\',
      '{"payload":"a\\x"}',
      '{"payload":"\\u12"}',
      '{"payload":"\\u12zz"}',
      '{"payload":"raw\ttab"}',
      '{"payload":"raw\nnewline"}',
      '{"\\u0070ayload":"a"}',
      '{"payloadx":"a"}',
      '{payload:"a"}',
      '\ufeff{"payload":"a"}',
    ]) {
      expect(read(body), JSON.stringify(body)).toBeUndefined();
    }
  });

  it('leaves a body that is not UTF-8 to the ordinary path, which replaces such bytes', () => {
    const body = Buffer.concat([Buffer.from('{"payload":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect(read(body)).toBeUndefined();
  });
});
