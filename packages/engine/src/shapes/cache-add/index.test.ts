import { AppError, type CacheAddConfig, type CacheLoadConfig } from '@weft/schema';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Payload } from '../../payload.js';
import type { ShapeContext, StepLog } from '../../shape.js';
import { memoryDataPorts } from '../../test-support/memory-data-ports.js';
import { cacheLoadShape } from '../cache-load/index.js';
import { shapeContext } from '../map/test-support/context.js';
import { cacheAddShape } from './index.js';

type Ports = ReturnType<typeof memoryDataPorts>;

function context<C>(config: C, ports: Ports | undefined, overrides: Partial<ShapeContext<C>> = {}, logs: StepLog[] = []): ShapeContext<C> {
  const base = shapeContext(config);
  return shapeContext(config, {
    services: { ...base.services, ...(ports && { caches: ports.caches }) },
    log: (l) => logs.push(l),
    ...overrides,
  });
}

const add = (
  config: CacheAddConfig,
  input: Payload[],
  ports: Ports,
  overrides: Partial<ShapeContext<CacheAddConfig>> = {},
  logs: StepLog[] = [],
) => cacheAddShape.execute(context(config, ports, overrides, logs), input);

async function load(config: CacheLoadConfig, ports: Ports, input: Payload[] = [Payload.empty()]) {
  return (await cacheLoadShape.execute(context(config, ports), input)).payloads;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('cache_add shape', () => {
  it('stores each payload under its rendered key and passes the bucket on unchanged', async () => {
    const ports = memoryDataPorts();
    const input = [Payload.fromValue({ id: 7, n: 'a' }, 'json', { page: '1' }), Payload.fromValue({ id: 8, n: 'b' }, 'json')];
    const result = await add({ cache: 'orders', key: 'order-[[payload.id]]' }, input, ports);
    expect(result.payloads).toBe(input);
    const [loaded] = await load({ cache: 'orders', key: 'order-8' }, ports);
    expect(loaded!.value()).toEqual({ id: 8, n: 'b' });
  });

  it('keeps each scope apart: run entries are only seen by the same run, flow entries by the same flow', async () => {
    const ports = memoryDataPorts();
    const doc = [Payload.fromValue({ v: 1 }, 'json')];
    await add({ cache: 'c', key: 'k', scope: 'run' }, doc, ports);
    await add({ cache: 'c', key: 'k', scope: 'company' }, [Payload.fromValue({ v: 'company' }, 'json')], ports);
    const otherRun = {
      run: { id: 'run_2', companyId: 'co_1', flowId: 'flow_1', versionId: 'ver_1', trigger: 'api' as const, queuedAt: '' },
    };
    expect(await cacheLoadShape.execute(context({ cache: 'c', key: 'k', scope: 'run' }, ports, otherRun), [Payload.empty()])).toEqual({
      payloads: [],
    });
    expect((await load({ cache: 'c', key: 'k', scope: 'run' }, ports))[0]!.value()).toEqual({ v: 1 });
    expect(await load({ cache: 'c', key: 'k' }, ports)).toEqual([]);
    const otherFlow = { run: { ...otherRun.run, flowId: 'flow_2' } };
    const fromOtherFlow = await cacheLoadShape.execute(context({ cache: 'c', key: 'k', scope: 'company' }, ports, otherFlow), [
      Payload.empty(),
    ]);
    expect(fromOtherFlow.payloads[0]!.value()).toEqual({ v: 'company' });
  });

  it('appends list payloads element by element and other payloads as one element', async () => {
    const ports = memoryDataPorts();
    const config: CacheAddConfig = { cache: 'c', key: 'all', append: true };
    await add(config, [Payload.fromValue([1, 2], 'json'), Payload.fromValue({ three: 3 }, 'json')], ports, { itemKey: 'a#0' });
    await add(config, [Payload.fromBytes(Buffer.from('id,name\n4,d\n'), 'csv')], ports, { itemKey: 'b#0' });
    await add(config, [Payload.fromBytes(Buffer.from('<o><id>5</id></o>'), 'xml'), Payload.fromBytes(Buffer.from('six'), 'text')], ports, {
      itemKey: 'c#0',
    });
    const [loaded] = await load({ cache: 'c', key: 'all' }, ports);
    expect(loaded!.format).toBe('json');
    expect(loaded!.value()).toEqual([1, 2, { three: 3 }, { id: '4', name: 'd' }, { o: { id: '5' } }, 'six']);
  });

  it('appends once when the same step execution is retried', async () => {
    const ports = memoryDataPorts();
    const config: CacheAddConfig = { cache: 'c', key: 'all', append: true };
    const input = [Payload.fromValue([1], 'json'), Payload.fromValue([2], 'json')];
    await add(config, input, ports, { attempt: 1 });
    await add(config, input, ports, { attempt: 2 });
    expect((await load({ cache: 'c', key: 'all' }, ports))[0]!.value()).toEqual([1, 2]);
  });

  it('stores CSV, XML and text payloads in their own format', async () => {
    const ports = memoryDataPorts();
    const csv = Payload.fromBytes(Buffer.from('id\n1\n'), 'csv');
    const xml = Payload.fromBytes(Buffer.from('<a>1</a>'), 'xml');
    const text = Payload.fromBytes(Buffer.from('hello'), 'text');
    await add(
      { cache: 'c', key: '[[meta.k]]' },
      [csv.withMeta({ k: 'csv' }), xml.withMeta({ k: 'xml' }), text.withMeta({ k: 'text' })],
      ports,
    );
    for (const [key, format, body] of [
      ['csv', 'csv', 'id\n1\n'],
      ['xml', 'xml', '<a>1</a>'],
      ['text', 'text', 'hello'],
    ] as const) {
      const [p] = await load({ cache: 'c', key }, ports);
      expect([p!.format, p!.text()]).toEqual([format, body]);
    }
  });

  it('fails with the payload position when the key renders empty or too long', async () => {
    const ports = memoryDataPorts();
    const empty = await failure(
      add({ cache: 'c', key: '[[payload.id]]' }, [Payload.fromValue({ id: 1 }, 'json'), Payload.fromValue({}, 'json')], ports),
    );
    expect(empty.code).toBe('TEMPLATE_ERROR');
    expect(empty.message).toContain('payload 2 of 2');
    const long = await failure(add({ cache: 'c', key: '[[payload.id]]' }, [Payload.fromValue({ id: 'x'.repeat(300) }, 'json')], ports));
    expect(long.message).toContain('over the limit of 255');
    const unknown = await failure(add({ cache: 'c', key: '[[meta.nope]]' }, [Payload.fromValue({}, 'json')], ports));
    expect(unknown.code).toBe('TEMPLATE_ERROR');
  });

  it('fails on an unparseable JSON payload in append mode', async () => {
    const err = await failure(
      add({ cache: 'c', key: 'k', append: true }, [Payload.fromBytes(Buffer.from('{nope'), 'json')], memoryDataPorts()),
    );
    expect(err.code).toBe('PAYLOAD_FORMAT_ERROR');
  });

  it('fails with CACHE_FULL when the cache would pass its cap, keeping what it held', async () => {
    const ports = memoryDataPorts({ cacheMaxBytes: 40 });
    await add({ cache: 'c', key: 'k', append: true }, [Payload.fromValue([1, 2, 3], 'json')], ports, { itemKey: 'one' });
    const err = await failure(
      add({ cache: 'c', key: 'k', append: true }, [Payload.fromValue(Array(30).fill(9), 'json')], ports, { itemKey: 'two' }),
    );
    expect(err.code).toBe('CACHE_FULL');
    expect((await load({ cache: 'c', key: 'k' }, ports))[0]!.value()).toEqual([1, 2, 3]);
  });

  it('warns when payloads of one bucket share a key without append', async () => {
    const logs: StepLog[] = [];
    const ports = memoryDataPorts();
    await add({ cache: 'c', key: 'same' }, [Payload.fromValue({ a: 1 }, 'json'), Payload.fromValue({ a: 2 }, 'json')], ports, {}, logs);
    expect(logs.find((l) => l.level === 'warning')?.message).toContain('replaced it');
    expect((await load({ cache: 'c', key: 'same' }, ports))[0]!.value()).toEqual({ a: 2 });
  });

  it('writes nothing for an empty bucket', async () => {
    const ports = memoryDataPorts();
    expect((await add({ cache: 'c', key: 'k' }, [], ports)).payloads).toEqual([]);
    expect(await load({ cache: 'c', all_pages: true }, ports)).toEqual([]);
  });

  it('lets an entry expire after its ttl', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-11-10T09:00:00Z'));
    const ports = memoryDataPorts();
    await add({ cache: 'c', key: 'k', ttl: 60 }, [Payload.fromValue(1, 'json')], ports);
    vi.setSystemTime(Date.parse('2026-11-10T09:00:59Z'));
    expect(await load({ cache: 'c', key: 'k' }, ports)).toHaveLength(1);
    vi.setSystemTime(Date.parse('2026-11-10T09:01:01Z'));
    expect(await load({ cache: 'c', key: 'k' }, ports)).toHaveLength(0);
  });

  it('keeps a large array whole', async () => {
    const ports = memoryDataPorts();
    const big = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    await add({ cache: 'c', key: 'big', append: true }, [Payload.fromValue(big, 'json')], ports);
    expect(((await load({ cache: 'c', key: 'big' }, ports))[0]!.value() as unknown[]).length).toBe(100_000);
  });

  it('fails its step when the engine has no caches', async () => {
    const err = await failure(cacheAddShape.execute(context({ cache: 'c', key: 'k' }, undefined), [Payload.empty()]));
    expect(err.message).toContain('caches are not available');
  });
});
