import { AppError } from '@weft/schema';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { assignKey } from '../paths/index.js';
import type { FormatCodec } from '../payload.js';

/*
 * The JSON convention for XML payloads (fast-xml-parser's, spec/flows.md §2):
 *
 *   <orders><order id="7"><sku>A1</sku><sku>B2</sku><note>hi</note></order></orders>
 *   → { "orders": { "order": { "@_id": "7", "sku": ["A1", "B2"], "note": "hi" } } }
 *
 * - The root element is the single top-level key; the XML declaration is dropped.
 * - Attributes are keys prefixed `@_`; an element's text beside attributes or children is `#text`.
 * - An element that repeats becomes an array; one that occurs once stays a single value, so a
 *   path such as `orders.order.*.sku` needs the element to repeat (or a list written by the sender).
 * - Every value stays a string (no number guessing: "00123" and long tracking numbers survive);
 *   an empty element is "". Text is trimmed; CDATA is read as text; comments and processing
 *   instructions are dropped.
 * - The five XML entities and numeric character references are decoded (and, harmlessly, the
 *   HTML named ones such as &nbsp;); any other `&name;` stays as written.
 *
 * Writing goes the other way. A value that is not an object with one key (the root element) is
 * wrapped as <root>…</root>, a top-level list as <root><item>…</item>…</root>.
 *
 * Refused with XML_REFUSED before parsing: a DOCTYPE, an ENTITY declaration, an XInclude
 * reference. Nothing is expanded and nothing is fetched, so entity bombs and XXE have nothing to
 * work with.
 */

const REFUSED = [
  { pattern: /<!DOCTYPE/i, what: 'a DOCTYPE declaration' },
  { pattern: /<!ENTITY/i, what: 'an ENTITY declaration' },
  { pattern: /http:\/\/www\.w3\.org\/20\d\d\/XInclude/i, what: 'an XInclude reference' },
];

// Names that fast-xml-parser refuses as keys (they could reach a prototype). We want them kept as
// plain data, so they travel under a marker and are put back with defineProperty afterwards.
const CRITICAL_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const MARKER = '\u0000weft-key:';
let sawCriticalName = false;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: true,
  // Keep names like `toString` as they are rather than renamed; they are own properties, which is safe.
  onDangerousProperty: (name: string) => name,
  transformTagName: (name: string) => {
    if (!CRITICAL_NAMES.has(name)) return name;
    sawCriticalName = true;
    return MARKER + name;
  },
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  format: false,
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
  processEntities: true,
});

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

export const xmlCodec: FormatCodec = {
  parse(bytes: Buffer): unknown {
    return parseXml(bytes.toString('utf8'));
  },
  serialise(value: unknown): Buffer {
    return Buffer.from(writeXml(value), 'utf8');
  },
};

/** Whether the text holds something XML_REFUSED is about; the first such thing, or undefined. */
export function refusedXmlConstruct(text: string): string | undefined {
  for (const { pattern, what } of REFUSED) if (pattern.test(text)) return what;
  return undefined;
}

/** Parses XML to the convention above; throws AppError XML_REFUSED or PAYLOAD_FORMAT_ERROR. */
export function parseXml(text: string): unknown {
  const refused = refusedXmlConstruct(text);
  if (refused !== undefined) {
    throw new AppError(
      'XML_REFUSED',
      `XML payload contains ${refused}; DOCTYPE, entity declarations and external references are not accepted`,
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new AppError('PAYLOAD_FORMAT_ERROR', `XML payload does not parse at line ${line} column ${col}: ${msg}`);
  }
  sawCriticalName = false;
  let result: unknown;
  try {
    result = parser.parse(text);
  } catch (err) {
    throw new AppError('PAYLOAD_FORMAT_ERROR', `XML payload does not parse: ${(err as Error).message}`, { cause: err });
  }
  return sawCriticalName ? restoreCriticalNames(result) : result;
}

function restoreCriticalNames(node: unknown): unknown {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = restoreCriticalNames(node[i]);
    return node;
  }
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Record<string, unknown>;
  const restored: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const name = key.startsWith(MARKER) ? key.slice(MARKER.length) : key;
    assignKey(restored, name, restoreCriticalNames(source[key]));
  }
  return restored;
}

/** Writes a value as an XML document; throws AppError PAYLOAD_FORMAT_ERROR when it cannot be valid XML (e.g. a key that is no element name). */
export function writeXml(value: unknown): string {
  const body = builder.build(rooted(value)) as string;
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new AppError('PAYLOAD_FORMAT_ERROR', `the value cannot be written as XML: ${valid.err.msg}`);
  return DECLARATION + body;
}

function rooted(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return { root: { item: value } };
  if (typeof value === 'object' && value !== null) {
    const elements = Object.keys(value).filter((k) => !k.startsWith('@_') && k !== '#text');
    if (elements.length === 1 && Object.keys(value).length === 1) return value as Record<string, unknown>;
  }
  return { root: value ?? '' };
}
