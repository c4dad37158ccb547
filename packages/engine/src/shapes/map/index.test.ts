import { readFileSync } from 'node:fs';
import type { MapConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { compileMapConfig } from './compile.js';
import { mapShape, previewMap, validateMapConfig } from './index.js';
import { shapeContext } from './test-support/context.js';

const shared = (name: string) => readFileSync(new URL(`../../../../../../shared/fixtures/${name}`, import.meta.url));
const example = JSON.parse(
  readFileSync(new URL('../../../../../examples/flows/customers-to-crm.json', import.meta.url), 'utf8'),
).definition;

const W1: MapConfig = {
  rules: [
    { source: '*.id', target: '*.customerId' },
    { sources: ['*.first_name', '*.last_name'], target: '*.fullName', transforms: [{ fn: 'concat', args: { separator: ' ' } }] },
    { source: '*.email', target: '*.email', transforms: [{ fn: 'lowercase' }, { fn: 'trim' }] },
    {
      source: '*.total',
      target: '*.totalPence',
      transforms: [{ fn: 'to_number' }, { fn: 'multiply', args: { by: 100 } }, { fn: 'round', args: { places: 0 } }],
    },
  ],
};

async function map(config: MapConfig, value: unknown, format: 'json' | 'xml' | 'csv' | 'text' = 'json') {
  const result = await mapShape.execute(shapeContext(config), [Payload.fromValue(value, format)]);
  return result.payloads[0]!;
}

async function mapValue(config: MapConfig, value: unknown): Promise<unknown> {
  return (await map(config, value)).value();
}

describe('map shape: the W1 workload', () => {
  it('maps customers-10.json to exactly customers-10.mapped.json', async () => {
    const result = await mapShape.execute(shapeContext(W1), [Payload.fromBytes(shared('customers-10.json'), 'json')]);
    const expected = JSON.parse(shared('customers-10.mapped.json').toString('utf8'));
    expect(result.payloads).toHaveLength(1);
    // Byte-level: same values and the same key order as the fixture.
    expect(result.payloads[0]!.text()).toBe(JSON.stringify(expected));
  });

  it('uses the same rules as the example flow, which maps the fixture the same way', async () => {
    const step = example.steps.find((s: { id: string }) => s.id === 'map');
    expect(step.config).toEqual(W1);
    expect(validateMapConfig(step.config)).toEqual([]);
    const result = await mapShape.execute(shapeContext(step.config), [Payload.fromBytes(shared('customers-10.json'), 'json')]);
    expect(result.payloads[0]!.value()).toEqual(JSON.parse(shared('customers-10.mapped.json').toString('utf8')));
  });
});

describe('map shape: rules', () => {
  it('maps nested arrays element-wise, keeping positions at every level', async () => {
    const orders = [{ lines: [{ sku: 'a' }, { sku: 'b' }] }, { lines: [{ sku: 'c' }] }];
    expect(await mapValue({ rules: [{ source: '*.lines.*.sku', target: '*.items.*.code' }] }, orders)).toEqual([
      { items: [{ code: 'a' }, { code: 'b' }] },
      { items: [{ code: 'c' }] },
    ]);
  });

  it('keeps an element whose source field is missing, so later elements keep their positions', async () => {
    expect(await mapValue({ rules: [{ source: '*.id', target: '*.customerId' }] }, [{ id: 1 }, { name: 'no id' }, { id: 3 }])).toEqual([
      { customerId: 1 },
      {},
      { customerId: 3 },
    ]);
  });

  it('writes a value into every element when only the target has a star', async () => {
    const config: MapConfig = {
      rules: [
        { source: 'orders.*.id', target: '*.orderId' },
        { source: 'batch', target: '*.batch' },
        { target: '*.source', transforms: [{ fn: 'constant', args: { value: 'shop' } }] },
      ],
    };
    expect(await mapValue(config, { batch: 'B7', orders: [{ id: 1 }, { id: 2 }] })).toEqual([
      { orderId: 1, batch: 'B7', source: 'shop' },
      { orderId: 2, batch: 'B7', source: 'shop' },
    ]);
  });

  it('gives the list of matches when the source has more stars than the target', async () => {
    const orders = [{ lines: [{ qty: 2 }, { qty: '3' }] }, { lines: [] }, { lines: [{ qty: 1 }] }];
    const config: MapConfig = {
      rules: [
        { source: '*.lines.*.qty', target: '*.quantities' },
        { source: '*.lines.*.qty', target: '*.total', transforms: [{ fn: 'sum' }] },
      ],
    };
    expect(await mapValue(config, orders)).toEqual([
      { quantities: [2, '3'], total: 5 },
      { quantities: [], total: 0 },
      { quantities: [1], total: 1 },
    ]);
    expect(await mapValue({ rules: [{ source: '*.id', target: 'ids' }] }, [{ id: 1 }, {}, { id: 3 }])).toEqual({ ids: [1, 3] });
  });

  it('lets later rules read earlier targets through $target.', async () => {
    const config: MapConfig = {
      rules: [
        { source: '*.price', target: 'items.*.price', transforms: [{ fn: 'to_number' }] },
        { source: '$target.items.*.price', target: 'items.*.withVat', transforms: [{ fn: 'multiply', args: { by: 1.2 } }] },
        { source: '$target.items.*.withVat', target: 'grandTotal', transforms: [{ fn: 'sum' }] },
      ],
    };
    expect(await mapValue(config, [{ price: '10' }, { price: '2.5' }])).toEqual({
      items: [
        { price: 10, withVat: 12 },
        { price: 2.5, withVat: 3 },
      ],
      grandTotal: 15,
    });
  });

  it('applies rules in order, so a later rule overwrites an earlier target', async () => {
    const config: MapConfig = {
      rules: [
        { source: 'a', target: 'x' },
        { source: 'b', target: 'x' },
      ],
    };
    expect(await mapValue(config, { a: 1, b: 2 })).toEqual({ x: 2 });
  });

  it('passes missing values through transforms until one accepts them', async () => {
    const config: MapConfig = {
      rules: [
        {
          source: '*.total',
          target: '*.total',
          transforms: [{ fn: 'to_number' }, { fn: 'multiply', args: { by: 2 } }, { fn: 'default', args: { value: 0 } }],
        },
      ],
    };
    expect(await mapValue(config, [{ total: '4' }, {}])).toEqual([{ total: 8 }, { total: 0 }]);
  });

  it('maps a plain object and builds nested targets', async () => {
    const config: MapConfig = {
      rules: [
        { source: 'customer.name', target: 'contact.name.full' },
        { source: 'customer.tags', target: 'contact.tags', transforms: [{ fn: 'join', args: { separator: '|' } }] },
      ],
    };
    expect(await mapValue(config, { customer: { name: 'Ann', tags: ['a', 'b'] } })).toEqual({
      contact: { name: { full: 'Ann' }, tags: 'a|b' },
    });
  });

  it('copies structures so the output never shares objects with the input', async () => {
    const input = { customer: { address: { city: 'Leeds' } } };
    const config: MapConfig = {
      rules: [
        { source: 'customer.address', target: 'billing' },
        { source: 'customer.address', target: 'shipping' },
        { target: 'billing.country', transforms: [{ fn: 'constant', args: { value: 'UK' } }] },
      ],
    };
    expect(await mapValue(config, input)).toEqual({ billing: { city: 'Leeds', country: 'UK' }, shipping: { city: 'Leeds' } });
    expect(input).toEqual({ customer: { address: { city: 'Leeds' } } });
  });

  it('gives [] or {} when nothing was written, by the shape of the first target', async () => {
    expect(await mapValue({ rules: [{ source: '*.id', target: '*.id' }] }, [])).toEqual([]);
    expect(await mapValue({ rules: [{ source: 'missing', target: 'x' }] }, {})).toEqual({});
  });

  it('wraps the input under wrap_input and the output under wrap_output', async () => {
    const config: MapConfig = { wrap_input: 'data', wrap_output: 'customers', rules: [{ source: 'data.*.id', target: '*.id' }] };
    expect(await mapValue(config, [{ id: 1 }, { id: 2 }])).toEqual({ customers: [{ id: 1 }, { id: 2 }] });
  });

  it('evaluates template and expression transforms against the record being mapped', async () => {
    const config: MapConfig = {
      rules: [
        { source: '*.id', target: '*.label', transforms: [{ fn: 'template', args: { template: '[[payload.first]] #[[payload.id]]' } }] },
        { source: '*.qty', target: '*.value', transforms: [{ fn: 'expression', args: { expression: '$ * $record.price' } }] },
      ],
    };
    expect(
      await mapValue(config, [
        { id: 1, first: 'Ann', qty: 2, price: 1.5 },
        { id: 2, first: 'Bo', qty: 1, price: 4 },
      ]),
    ).toEqual([
      { label: 'Ann #1', value: 3 },
      { label: 'Bo #2', value: 4 },
    ]);
  });

  it('reads flow variables, meta and the run clock', async () => {
    const config: MapConfig = {
      rules: [
        { target: 'shop', transforms: [{ fn: 'template', args: { template: '[[flow.shop]]/[[meta.channel]]/[[run.id]]' } }] },
        { target: 'at', transforms: [{ fn: 'now' }] },
      ],
    };
    const ctx = shapeContext(config, { variables: { shop: 'UK' } });
    const result = await mapShape.execute(ctx, [Payload.fromValue({}, 'json', { channel: 'web' })]);
    expect(result.payloads[0]!.value()).toEqual({ shop: 'UK/web/run_1', at: '2026-11-10T09:00:00Z' });
  });

  it('keeps __proto__ and constructor keys as plain data in sources and targets', async () => {
    const input = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"x": 1}}}');
    const config: MapConfig = {
      rules: [
        { source: '__proto__', target: '__proto__' },
        { source: '__proto__.polluted', target: 'a.__proto__.polluted' },
        { source: 'constructor.prototype', target: 'constructor.prototype' },
        { source: 'toString', target: 'missing' },
      ],
    };
    const output = (await mapValue(config, input)) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(JSON.stringify(output)).toBe(
      '{"__proto__":{"polluted":"yes"},"a":{"__proto__":{"polluted":"yes"}},"constructor":{"prototype":{"x":1}}}',
    );
  });
});

describe('map shape: formats and buckets', () => {
  it('maps a CSV payload (rows of strings) and writes CSV', async () => {
    const config: MapConfig = {
      output_format: 'csv',
      rules: [
        { source: '*.sku', target: '*.code' },
        { source: '*.price', target: '*.pence', transforms: [{ fn: 'to_number' }, { fn: 'multiply', args: { by: 100 } }] },
        { source: '*.name', target: '*.name' },
      ],
    };
    const result = await mapShape.execute(shapeContext(config), [Payload.fromBytes(shared('products.csv'), 'csv')]);
    expect(result.payloads[0]!.format).toBe('csv');
    expect(result.payloads[0]!.text()).toBe(
      'code,pence,name\n42108803101,3900,"Linen shirt, blue"\n42108803102,2450,Wool scarf\n42108803199,1500,"Canvas tote ""XL"""\n',
    );
  });

  it('maps an XML payload by its JSON convention and writes XML', async () => {
    const config: MapConfig = {
      output_format: 'xml',
      wrap_output: 'shipments',
      rules: [
        { source: 'orders.order.*.@_id', target: 'shipment.*.@_ref' },
        { source: 'orders.order.*.carrier', target: 'shipment.*.carrier', transforms: [{ fn: 'lowercase' }] },
      ],
    };
    const result = await mapShape.execute(shapeContext(config), [Payload.fromBytes(shared('orders.xml'), 'xml')]);
    expect(result.payloads[0]!.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<shipments><shipment ref="LMUK62388"><carrier>evri</carrier></shipment><shipment ref="LMUK62389"><carrier>dpd</carrier></shipment></shipments>',
    );
  });

  it('maps a text payload through the empty path, which is the whole document', async () => {
    const config: MapConfig = {
      output_format: 'text',
      rules: [{ source: '', target: 'note', transforms: [{ fn: 'uppercase' }, { fn: 'trim' }] }],
    };
    const result = await mapShape.execute(shapeContext(config), [Payload.fromBytes(shared('note.txt'), 'text')]);
    expect(result.payloads[0]!.text()).toBe('{"note":"ORDER LMUK62388 DISPATCHED VIA EVRI"}');
  });

  it('fails with MAP_ERROR when the output format cannot hold the document', async () => {
    const config: MapConfig = { output_format: 'csv', rules: [{ source: '*.id', target: '*' }] };
    await expect(map(config, [{ id: 1 }])).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringMatching(/^output_format csv: CSV output needs a list of objects/),
    });
  });

  it('maps each payload of the bucket in turn and passes meta through', async () => {
    const config: MapConfig = { rules: [{ source: 'n', target: 'm' }] };
    const input = [Payload.fromValue({ n: 1 }, 'json', { k: 'a' }), Payload.fromValue({ n: 2 }, 'json', { k: 'b' })];
    const result = await mapShape.execute(shapeContext(config), input);
    expect(result.payloads.map((p) => [p.value(), p.meta])).toEqual([
      [{ m: 1 }, { k: 'a' }],
      [{ m: 2 }, { k: 'b' }],
    ]);
  });

  it('emits an empty bucket for an empty bucket', async () => {
    expect((await mapShape.execute(shapeContext(W1), [])).payloads).toEqual([]);
  });

  it('fails with PAYLOAD_FORMAT_ERROR on a payload that is not the JSON it claims, naming which payload', async () => {
    const input = [Payload.fromValue([], 'json'), Payload.fromBytes(Buffer.from('{"id": 1,'), 'json')];
    await expect(mapShape.execute(shapeContext(W1), input)).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
      message: expect.stringMatching(/^payload 2 of 2: JSON payload does not parse at line 1 column 10/),
    });
  });
});

describe('map shape: errors', () => {
  it('names the rule, the transform and the element that failed', async () => {
    const records = [{ total: '1' }, { total: '2' }, { total: 'abc' }];
    await expect(map(W1, records)).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: 'rules[3].transforms[0]: to_number cannot read "abc" as a number (element [2])',
    });
  });

  it('names the rule whose target cannot be written', async () => {
    const config: MapConfig = {
      rules: [
        { source: 'a', target: 'x' },
        { source: 'b', target: 'x.y' },
      ],
    };
    await expect(map(config, { a: 'text', b: 1 })).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringMatching(/^rules\[1\]\.target: cannot write "x\.y": "x" holds a string/),
    });
  });

  it('refuses an invalid config with MAP_ERROR listing the problems by path', async () => {
    const config = {
      rules: [{ source: 'a', target: 'b', transforms: [{ fn: 'concat', args: { separator: 1 } }] }, { target: '' }],
    } as MapConfig;
    const failure = map(config, {});
    await expect(failure).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringContaining('rules[0].transforms[0].args.separator must be a string'),
    });
    await expect(failure).rejects.toMatchObject({ details: { 'rules[1].target': ['must be a non-empty path'] } });
  });

  it('compiles a config once and reuses it for the same config object', () => {
    const config = structuredClone(W1);
    expect(compileMapConfig(config)).toBe(compileMapConfig(config));
    expect(compileMapConfig(structuredClone(W1))).not.toBe(compileMapConfig(config));
  });
});

describe('validateMapConfig', () => {
  it('reports every problem with its field path', () => {
    expect(
      validateMapConfig({
        rules: [
          { source: 'a', sources: ['b'], target: 'c' },
          { source: 'a..b', target: '$target.x' },
          { sources: [], target: 'x', transforms: [{ fn: 'uppercse' }, { fn: 'round', args: { places: 'two' } }, 'trim'] },
          { source: 'a', target: 'b', extra: 1 },
        ],
        output_format: 'yaml',
        other: true,
      }),
    ).toEqual([
      { rule: null, path: 'other', message: expect.stringContaining('unknown field "other"') },
      { rule: null, path: 'output_format', message: 'must be one of json, xml, csv, text' },
      { rule: 0, path: 'rules[0]', message: expect.stringContaining('has both source and sources') },
      { rule: 1, path: 'rules[1].source', message: expect.stringContaining('empty segment') },
      { rule: 1, path: 'rules[1].target', message: 'must be a path in the output, without "$target"' },
      { rule: 2, path: 'rules[2].sources', message: 'must be a non-empty list of paths' },
      { rule: 2, path: 'rules[2].transforms[0].fn', message: expect.stringContaining('unknown transform "uppercse"') },
      { rule: 2, path: 'rules[2].transforms[1].args.places', message: 'must be a number' },
      { rule: 2, path: 'rules[2].transforms[2]', message: 'must be an object with fn' },
      { rule: 3, path: 'rules[3].extra', message: expect.stringContaining('unknown field "extra"') },
    ]);
  });

  it('requires at least one rule', () => {
    expect(validateMapConfig({ rules: [] })).toEqual([{ rule: null, path: 'rules', message: 'must be a non-empty list of rules' }]);
    expect(validateMapConfig(null)).toEqual([{ rule: null, path: '', message: 'must be an object with rules' }]);
  });
});

describe('previewMap', () => {
  it('maps a sample with the W1 rules', async () => {
    const sample = JSON.parse(shared('customers-10.json').toString('utf8'));
    const { output, errors } = await previewMap(W1.rules, sample);
    expect(errors).toEqual([]);
    expect(output).toEqual(JSON.parse(shared('customers-10.mapped.json').toString('utf8')));
  });

  it('reports each failing rule and still applies the others', async () => {
    const rules = [
      { source: '*.id', target: '*.id' },
      { source: '*.total', target: '*.total', transforms: [{ fn: 'to_number' }] },
      { source: '*.name', target: '*.name', transforms: [{ fn: 'pad', args: { length: 'x' } }] },
      { source: '*.name', target: '*.upper', transforms: [{ fn: 'uppercase' }] },
    ];
    const { output, errors } = await previewMap(rules, [
      { id: 1, total: 'abc', name: 'a' },
      { id: 2, total: '3', name: 'b' },
    ]);
    expect(output).toEqual([
      { id: 1, upper: 'A' },
      { id: 2, upper: 'B' },
    ]);
    expect(errors).toEqual([
      { rule: 1, message: 'rules[1].transforms[0]: to_number cannot read "abc" as a number (element [0])' },
      { rule: 2, message: 'rules[2].transforms[0].args.length must be a number' },
    ]);
  });

  it('answers a string for non-JSON output formats', async () => {
    const { output } = await previewMap([{ source: '*.a', target: '*.b' }], [{ a: 1 }], { output_format: 'csv' });
    expect(output).toBe('b\n1\n');
  });

  it('reports rules that are not a list and settings that are wrong', async () => {
    expect(await previewMap('nope', {})).toEqual({ output: {}, errors: [{ rule: null, message: 'rules must be a list of rules' }] });
    expect((await previewMap([], {}, { output_format: 'yaml' as never })).errors).toEqual([
      { rule: null, message: 'output_format must be one of json, xml, csv, text' },
    ]);
  });

  it('runs asynchronous expression transforms', async () => {
    const { output, errors } = await previewMap(
      [{ source: 'n', target: 'n', transforms: [{ fn: 'expression', args: { expression: '$ + 1' } }] }],
      { n: 1 },
    );
    expect(errors).toEqual([]);
    expect(output).toEqual({ n: 2 });
  });
});
