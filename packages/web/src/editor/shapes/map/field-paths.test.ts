import { describe, expect, it } from 'vitest';
import { csvPaths, guessFormat, jsonPaths, MAX_PATHS, samplePaths, schemaPaths, underKey, xmlPaths } from './field-paths';

describe('jsonPaths', () => {
  it('lists every key path with * for array elements, objects and leaves alike', () => {
    const sample = {
      order: {
        id: 1,
        lines: [
          { sku: 'A', qty: 2 },
          { sku: 'B', note: 'x' },
        ],
      },
      tags: ['a', 'b'],
    };
    expect(jsonPaths(sample)).toEqual([
      'order',
      'order.id',
      'order.lines',
      'order.lines.*.sku',
      'order.lines.*.qty',
      'order.lines.*.note',
      'tags',
      'tags.*',
    ]);
  });

  it('starts paths with * when the document is a list', () => {
    expect(jsonPaths([{ first_name: 'Ann' }, { last_name: 'Lee' }])).toEqual(['*.first_name', '*.last_name']);
  });

  it('finds nothing in a scalar', () => {
    expect(jsonPaths('text')).toEqual([]);
    expect(jsonPaths(null)).toEqual([]);
  });

  it('stops at MAX_PATHS for a huge sample', () => {
    const big = Object.fromEntries(Array.from({ length: MAX_PATHS + 100 }, (_, i) => [`k${i}`, i]));
    expect(jsonPaths(big)).toHaveLength(MAX_PATHS);
  });
});

describe('csvPaths', () => {
  it('makes every header column a *.<column> path', () => {
    expect(csvPaths('id,first name,"email, work"\n1,Ann,a@x.test\n')).toEqual(['*.id', '*.first name', '*.email, work']);
  });

  it('skips a byte order mark and leading blank lines', () => {
    expect(csvPaths('\uFEFF\n\nsku,qty\r\nA,1')).toEqual(['*.sku', '*.qty']);
  });
});

describe('xmlPaths', () => {
  it('reads elements as the engine does: root first, repeated elements as lists, attributes as @_name', () => {
    const xml = `<?xml version="1.0"?>
      <orders>
        <!-- <ignored/> -->
        <order id="1"><sku>A</sku><qty>2</qty></order>
        <order id="2"><sku>B</sku><qty>1</qty></order>
        <note lang="en">Hello</note>
        <empty/>
      </orders>`;
    expect(xmlPaths(xml)).toEqual([
      'orders',
      'orders.order',
      'orders.order.*.@_id',
      'orders.order.*.sku',
      'orders.order.*.qty',
      'orders.note',
      'orders.note.@_lang',
      'orders.note.#text',
      'orders.empty',
    ]);
  });

  it('suggests name.* for a repeated element holding only text', () => {
    expect(xmlPaths('<list><item>a</item><item>b</item></list>')).toEqual(['list', 'list.item', 'list.item.*']);
  });
});

describe('samplePaths', () => {
  it('guesses the format when none is chosen', () => {
    expect(guessFormat('{"a":1}')).toBe('json');
    expect(guessFormat('<a/>')).toBe('xml');
    expect(guessFormat('a,b\n1,2')).toBe('csv');
    expect(guessFormat('hello')).toBe('text');
    expect(samplePaths('{"a":{"b":1}}')).toEqual(['a', 'a.b']);
    expect(samplePaths('a,b\n1,2')).toEqual(['*.a', '*.b']);
  });

  it('follows the chosen format over the guess', () => {
    expect(samplePaths('{"a":1}', 'text')).toEqual([]);
    expect(samplePaths('x\n1', 'csv')).toEqual(['*.x']);
  });

  it('finds nothing in text or in JSON that does not parse', () => {
    expect(samplePaths('just words')).toEqual([]);
    expect(samplePaths('{"a":', 'json')).toEqual([]);
  });
});

describe('schemaPaths', () => {
  it('walks properties, items as * and every branch of allOf/oneOf', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        customer: { allOf: [{ properties: { name: { type: 'string' } } }, { properties: { email: { type: 'string' } } }] },
        lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
        tags: { type: 'array', items: { type: 'string' } },
      },
    };
    expect(schemaPaths(schema)).toEqual(['id', 'customer', 'customer.name', 'customer.email', 'lines', 'lines.*.sku', 'tags', 'tags.*']);
  });

  it('starts with * for a schema of a list, and finds nothing in a non-schema', () => {
    expect(schemaPaths({ type: 'array', items: { properties: { id: {} } } })).toEqual(['*.id']);
    expect(schemaPaths(undefined)).toEqual([]);
    expect(schemaPaths('nope')).toEqual([]);
  });
});

describe('underKey', () => {
  it('puts paths under the wrap_input key when one is set', () => {
    expect(underKey(['a', 'a.b'], 'data')).toEqual(['data', 'data.a', 'data.a.b']);
    expect(underKey(['a'], undefined)).toEqual(['a']);
  });
});
