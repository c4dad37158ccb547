import { AppError, type DedupeConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { ShapeContext, StepLog } from '../../shape.js';
import { memoryDataPorts } from '../../test-support/memory-data-ports.js';
import { shapeContext } from '../map/test-support/context.js';
import { dedupeShape } from './index.js';

type Ports = ReturnType<typeof memoryDataPorts>;

async function dedupe(
  config: DedupeConfig,
  input: Payload[],
  ports: Ports | undefined,
  overrides: Partial<ShapeContext<DedupeConfig>> = {},
  logs: StepLog[] = [],
) {
  const base = shapeContext(config);
  const ctx = shapeContext(config, {
    services: { ...base.services, ...(ports && { dataPools: ports.dataPools }) },
    log: (l) => logs.push(l),
    ...overrides,
  });
  return (await dedupeShape.execute(ctx, input)).payloads;
}

const run = (id: string) => ({ run: { id, companyId: 'co_1', flowId: 'flow_1', versionId: 'v', trigger: 'api' as const, queuedAt: '' } });
const json = (value: unknown) => Payload.fromValue(value, 'json');

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('dedupe shape', () => {
  const config: DedupeConfig = { pool: 'orders', key_field: 'id' };

  it('keeps new records and removes those a pool has seen in an earlier run', async () => {
    const ports = memoryDataPorts();
    const first = await dedupe(config, [json([{ id: 1 }, { id: 2 }])], ports, run('r1'));
    expect(first.map((p) => p.value())).toEqual([[{ id: 1 }, { id: 2 }]]);
    const second = await dedupe(config, [json([{ id: 2 }, { id: 3 }])], ports, run('r2'));
    expect(second.map((p) => p.value())).toEqual([[{ id: 3 }]]);
  });

  it('keeps only the first record of a value repeated within the bucket', async () => {
    const logs: StepLog[] = [];
    const out = await dedupe(
      config,
      [json([{ id: 'a' }, { id: 'a', n: 2 }]), json([{ id: 'a', n: 3 }, { id: 'b' }])],
      memoryDataPorts(),
      {},
      logs,
    );
    expect(out.map((p) => p.value())).toEqual([[{ id: 'a' }], [{ id: 'b' }]]);
    expect(logs[0]?.message).toContain('2 new values of 2');
    expect(logs[0]?.message).toContain('2 records of 4 removed');
  });

  it('drops a payload whose records all go, at the root, and keeps an empty list at a nested path', async () => {
    const ports = memoryDataPorts();
    await dedupe(config, [json([{ id: 1 }])], ports, run('r1'));
    expect(await dedupe(config, [json([{ id: 1 }])], ports, run('r2'))).toEqual([]);
    const nested = await dedupe({ ...config, path: 'orders' }, [json({ batch: 'x', orders: [{ id: 1 }] })], ports, run('r3'));
    expect(nested.map((p) => p.value())).toEqual([{ batch: 'x', orders: [] }]);
  });

  it('dedupes whole payloads: an object is one record', async () => {
    const ports = memoryDataPorts();
    const input = [json({ id: 1, total: 5 }), json({ id: 2 }), json({ id: 1, total: 6 })];
    expect((await dedupe(config, input, ports)).map((p) => p.value())).toEqual([{ id: 1, total: 5 }, { id: 2 }]);
  });

  it('compares whole records without a key_field, whatever their key order', async () => {
    const out = await dedupe(
      { pool: 'p' },
      [
        json([
          { a: 1, b: 2 },
          { b: 2, a: 1 },
          { a: 1, b: 3 },
        ]),
      ],
      memoryDataPorts(),
    );
    expect(out[0]!.value()).toEqual([
      { a: 1, b: 2 },
      { a: 1, b: 3 },
    ]);
  });

  it('with filter removes seen records but records nothing; with track records and removes nothing', async () => {
    const ports = memoryDataPorts();
    expect(await dedupe({ ...config, behaviour: 'filter' }, [json([{ id: 1 }])], ports, run('r1'))).toHaveLength(1);
    expect(await dedupe({ ...config, behaviour: 'filter' }, [json([{ id: 1 }])], ports, run('r2'))).toHaveLength(1);
    const tracked = await dedupe({ ...config, behaviour: 'track' }, [json([{ id: 1 }, { id: 1 }])], ports, run('r3'));
    expect(tracked[0]!.value()).toEqual([{ id: 1 }, { id: 1 }]);
    expect(await dedupe({ ...config, behaviour: 'filter' }, [json([{ id: 1 }])], ports, run('r4'))).toEqual([]);
  });

  it('keeps the same records when the same step execution is retried', async () => {
    const ports = memoryDataPorts();
    const input = [json([{ id: 1 }, { id: 2 }])];
    await dedupe(config, input, ports, { attempt: 1 });
    expect((await dedupe(config, input, ports, { attempt: 2 }))[0]!.value()).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('passes records without the key and payloads without the path, with warnings', async () => {
    const logs: StepLog[] = [];
    const ports = memoryDataPorts();
    await dedupe(config, [json([{ id: 1 }])], ports, run('r1'));
    const out = await dedupe(
      { ...config, path: 'items' },
      [json({ items: [{ id: 1 }, { other: true }, { id: null }, { id: '' }] }), json({ nothing: 1 })],
      ports,
      run('r2'),
      logs,
    );
    expect(out.map((p) => p.value())).toEqual([{ items: [{ other: true }, { id: null }, { id: '' }] }, { nothing: 1 }]);
    expect(logs.map((l) => l.message)).toEqual([
      expect.stringContaining('1 record of 4 removed'),
      expect.stringContaining('3 records had no value at key_field "id"'),
      expect.stringContaining('nothing at path "items" in 1 of 2 payloads'),
    ]);
  });

  it('dedupes CSV rows and writes the rest back as CSV', async () => {
    const ports = memoryDataPorts();
    await dedupe({ pool: 'p', key_field: 'sku' }, [Payload.fromBytes(Buffer.from('sku,qty\nA,1\n'), 'csv')], ports, run('r1'));
    const [out] = await dedupe(
      { pool: 'p', key_field: 'sku' },
      [Payload.fromBytes(Buffer.from('sku,qty\nA,1\nB,2\n'), 'csv')],
      ports,
      run('r2'),
    );
    expect([out!.format, out!.text()]).toEqual(['csv', 'sku,qty\nB,2\n']);
  });

  it('dedupes repeated XML elements and drops a document whose single element was seen', async () => {
    const ports = memoryDataPorts();
    const xml = (s: string) => Payload.fromBytes(Buffer.from(s), 'xml');
    const cfg: DedupeConfig = { pool: 'p', path: 'orders.order', key_field: 'id' };
    await dedupe(cfg, [xml('<orders><order><id>1</id></order></orders>')], ports, run('r1'));
    expect(await dedupe(cfg, [xml('<orders><order><id>1</id></order></orders>')], ports, run('r2'))).toEqual([]);
    const [out] = await dedupe(cfg, [xml('<orders><order><id>1</id></order><order><id>2</id></order></orders>')], ports, run('r3'));
    expect(out!.text()).toContain('<id>2</id>');
    expect(out!.text()).not.toContain('<id>1</id>');
  });

  it('handles a large array in chunks', async () => {
    const ports = memoryDataPorts();
    const records = Array.from({ length: 25_000 }, (_, i) => ({ id: i % 20_000 }));
    const [out] = await dedupe(config, [json(records)], ports);
    expect((out!.value() as unknown[]).length).toBe(20_000);
    expect(ports.pools.get('co_1|orders')?.size).toBe(20_000);
  });

  it('stores a long value by its hash', async () => {
    const ports = memoryDataPorts();
    await dedupe(config, [json([{ id: 'x'.repeat(2000) }])], ports);
    expect([...(ports.pools.get('co_1|orders')?.keys() ?? [])][0]).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('passes an empty bucket and an empty list through', async () => {
    expect(await dedupe(config, [], memoryDataPorts())).toEqual([]);
    expect((await dedupe(config, [json([])], memoryDataPorts())).map((p) => p.value())).toEqual([[]]);
  });

  it('dedupes whole text payloads by their text when there is no path and no key_field', async () => {
    const ports = memoryDataPorts();
    const text = (t: string) => Payload.fromBytes(Buffer.from(t), 'text');
    await dedupe({ pool: 'notes' }, [text('hello')], ports, run('r1'));
    const out = await dedupe({ pool: 'notes' }, [text('hello'), text('world'), text('world')], ports, run('r2'));
    expect(out.map((p) => p.text())).toEqual(['world']);
  });

  it('fails on text payloads with a key_field, and on unparseable payloads, naming the payload', async () => {
    const text = await failure(dedupe(config, [Payload.fromBytes(Buffer.from('hi'), 'text')], memoryDataPorts()));
    expect(text.code).toBe('PAYLOAD_STRUCTURE_ERROR');
    const bad = await failure(dedupe(config, [json([]), Payload.fromBytes(Buffer.from('[1,'), 'json')], memoryDataPorts()));
    expect(bad.code).toBe('PAYLOAD_FORMAT_ERROR');
    expect(bad.message).toContain('payload 2 of 2');
    const scalar = await failure(dedupe({ ...config, path: 'n' }, [json({ n: 5 })], memoryDataPorts()));
    expect(scalar.message).toContain('not a list of records');
  });

  it('fails its step when the engine has no data pools', async () => {
    expect((await failure(dedupe(config, [json([])], undefined))).message).toContain('data pools are not available');
  });
});
