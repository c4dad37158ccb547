import type { PayloadFormat } from '@weft/schema';

/** Indents XML by nesting depth; it only reflows whitespace between tags, never the text or attributes. */
export function prettyXml(xml: string): string {
  const tokens = xml.replace(/>\s+</g, '><').replace(/></g, '>\n<').split('\n');
  let depth = 0;
  const lines: string[] = [];
  for (const token of tokens) {
    const closing = /^<\//.test(token);
    const selfContained = /^<[^!?/][^>]*\/>$/.test(token) || /^<([^\s>]+)[^>]*>.*<\/\1>$/.test(token) || /^<[!?]/.test(token);
    if (closing) depth = Math.max(0, depth - 1);
    lines.push(`${'  '.repeat(depth)}${token}`);
    if (!closing && !selfContained && /^<[^>]+>$/.test(token)) depth++;
  }
  return lines.join('\n');
}

/** A payload's text as people read it: JSON and XML indented, CSV and text as they are. */
export function prettyPayload(text: string, format: PayloadFormat): string {
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  if (format === 'xml') return prettyXml(text);
  return text;
}
