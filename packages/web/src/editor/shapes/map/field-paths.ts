/**
 * Field paths for the map editor's suggestions, in the path syntax of map rules (flows.md §4): dot
 * paths with `*` for every element of an array. Pure functions, no DOM, so they run in the unit tests
 * and in the browser alike. Every function stops at MAX_PATHS: a suggestion list longer than that
 * helps nobody and a huge sample must not freeze the editor.
 */

export const MAX_PATHS = 500;
const MAX_DEPTH = 12;
// Elements of an array looked at for their keys: enough to see optional fields, bounded for big samples.
const MAX_ELEMENTS = 50;

type SampleFormat = 'json' | 'xml' | 'csv' | 'text';

class PathSet {
  readonly paths = new Set<string>();
  add(path: string): boolean {
    if (this.paths.size >= MAX_PATHS) return false;
    this.paths.add(path);
    return true;
  }
  get full(): boolean {
    return this.paths.size >= MAX_PATHS;
  }
  list(): string[] {
    return [...this.paths];
  }
}

const join = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}.${key}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every path of a JSON value: objects' keys, `*` for array elements (the keys of all elements seen). */
export function jsonPaths(value: unknown): string[] {
  const out = new PathSet();
  walkJson(value, '', out, 0);
  return out.list();
}

function walkJson(value: unknown, prefix: string, out: PathSet, depth: number): void {
  if (depth > MAX_DEPTH || out.full) return;
  if (Array.isArray(value)) {
    const star = join(prefix, '*');
    const elements = value.slice(0, MAX_ELEMENTS);
    // `tags.*` is worth suggesting for a list of values; for a list of objects their fields are.
    if (elements.some((e) => !isObject(e) && !Array.isArray(e))) out.add(star);
    for (const element of elements) walkJson(element, star, out, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const path = join(prefix, key);
    if (!out.add(path)) return;
    walkJson(child, path, out, depth + 1);
  }
}

/** The columns of a CSV sample's header line as `*.<column>` (a CSV document is a list of row objects). */
export function csvPaths(text: string): string[] {
  const header = csvHeader(text.replace(/^\uFEFF/, ''));
  const out = new PathSet();
  for (const name of header) if (name !== '') out.add(`*.${name}`);
  return out.list();
}

/** The fields of the first non-blank line, with RFC 4180 quoting ("a ""b""", quoted commas and newlines). */
function csvHeader(text: string): string[] {
  let i = 0;
  while (i < text.length && (text[i] === '\n' || text[i] === '\r')) i++;
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else if (c === '\n' || c === '\r') break;
    else field += c;
  }
  fields.push(field.trim());
  return fields;
}

interface XmlNode {
  attributes: Set<string>;
  children: Map<string, XmlNode>;
  /** Seen more than once under one parent: the engine's XML reader makes it a list. */
  repeated: boolean;
  hasText: boolean;
}

const newNode = (): XmlNode => ({ attributes: new Set(), children: new Map(), repeated: false, hasText: false });

/**
 * Element paths of an XML sample as the engine reads XML (fast-xml-parser, formats/xml.ts): the root
 * element is the first key, an element repeated under one parent is a list (`orders.order.*.id`),
 * attributes are `@_name`, and an element's text beside attributes is `#text`. A tolerant scan, not a
 * validator: the preview reports a malformed sample.
 */
export function xmlPaths(text: string): string[] {
  const root = newNode();
  // Per open element: its merged node and the names of its children seen so far in this instance.
  const stack: { node: XmlNode; seen: Set<string> }[] = [{ node: root, seen: new Set() }];
  const body = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, 'x');
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|([^<]+)/g;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      if (m[5].trim() !== '') top.node.hasText = true;
      continue;
    }
    const [, closing, name, attrs, selfClosing] = m;
    if (closing) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    let node = top.node.children.get(name!);
    if (!node) {
      node = newNode();
      top.node.children.set(name!, node);
    }
    if (top.seen.has(name!)) node.repeated = true;
    top.seen.add(name!);
    for (const a of (attrs ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=/g)) node.attributes.add(a[1]!);
    if (!selfClosing && stack.length <= MAX_DEPTH) stack.push({ node, seen: new Set() });
  }
  const out = new PathSet();
  walkXml(root, '', out);
  return out.list();
}

function walkXml(node: XmlNode, prefix: string, out: PathSet): void {
  for (const [name, child] of node.children) {
    const path = join(prefix, name);
    if (!out.add(path)) return;
    const inner = child.repeated ? join(path, '*') : path;
    if (child.repeated && child.children.size === 0 && child.attributes.size === 0) out.add(inner);
    for (const a of child.attributes) out.add(join(inner, `@_${a}`));
    if (child.attributes.size > 0 && child.hasText) out.add(join(inner, '#text'));
    walkXml(child, inner, out);
  }
}

/** The format of a pasted sample, as the server would guess it (engine formats/detect.ts), roughly. */
export function guessFormat(text: string): SampleFormat {
  const t = text.trim();
  if (t === '') return 'text';
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(t);
      return 'json';
    } catch {
      // Not JSON after all: fall through to the other formats.
    }
  }
  if (t.startsWith('<')) return 'xml';
  const lines = t.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length >= 2 && lines[0]!.includes(',')) return 'csv';
  return 'text';
}

/** Paths of a pasted sample in the given format (or the guessed one); none for text or a sample that does not parse. */
export function samplePaths(text: string, format?: string): string[] {
  const f = format && format !== '' ? format : guessFormat(text);
  if (f === 'json') {
    try {
      return jsonPaths(JSON.parse(text));
    } catch {
      return [];
    }
  }
  if (f === 'xml') return xmlPaths(text);
  if (f === 'csv') return csvPaths(text);
  return [];
}

/**
 * Paths a JSON Schema describes (a connector endpoint's `schema` or `request_schema`): `properties`
 * become keys, `items` becomes `*`, and allOf/anyOf/oneOf contribute every branch's fields.
 */
export function schemaPaths(schema: unknown): string[] {
  const out = new PathSet();
  walkSchema(schema, '', out, 0);
  return out.list();
}

function walkSchema(schema: unknown, prefix: string, out: PathSet, depth: number): void {
  if (!isObject(schema) || depth > MAX_DEPTH || out.full) return;
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) for (const b of branches) walkSchema(b, prefix, out, depth + 1);
  }
  if (isObject(schema.properties)) {
    for (const [key, child] of Object.entries(schema.properties)) {
      const path = join(prefix, key);
      if (!out.add(path)) return;
      walkSchema(child, path, out, depth + 1);
    }
  }
  const items = schema.items;
  if (isObject(items)) {
    const star = join(prefix, '*');
    if (!isObject(items.properties) && !items.allOf && !items.anyOf && !items.oneOf && !items.items) out.add(star);
    walkSchema(items, star, out, depth + 1);
  }
}

/** Paths of a sample read with the map's `wrap_input`: the input sits under that key. */
export function underKey(paths: string[], key: string | undefined): string[] {
  return key ? [key, ...paths.map((p) => `${key}.${p}`)] : paths;
}
