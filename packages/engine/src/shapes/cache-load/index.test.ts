import { AppError, type CacheLoadConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { memoryDataPorts } from '../../test-support/memory-data-ports.js';
import { shapeContext } from '../map/test-support/context.js';
import { cacheLoadShape } from './index.js';

type Ports = ReturnType<typeof memoryDataPorts>;
const target = { companyId: 'co_1', name: 'c', scope: 'flow' as const, scopeId: 'flow_1' };

async function seed(ports: Ports, entries: Array<[string, string, 'json' | 'csv' | 'xml' | 'text']>) {
  for (const [key, body, format] of entries)
    await ports.caches.put(target, { key, format, body: Buffer.from(body), meta: { stored: 'yes' }, append: false });
}

async function load(config: CacheLoadConfig, ports: Ports, input: Payload[] = [Payload.empty({ run: 'meta' })], logs: StepLog[] = []) {
  const base = shapeContext(config);
  const ctx = shapeContext(config, { services: { ...base.services, caches: ports.caches }, log: (l) => logs.push(l) });
  return (await cacheLoadShape.execute(ctx, input)).payloads;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('cache_load shape', () => {
  it('loads the entry under each payload’s key, in the entry’s format, with the payload’s meta', async () => {
    const ports = memoryDataPorts();
    await seed(ports, [
      ['customer-1', 'id,name\n1,Ann\n', 'csv'],
      ['customer-2', '{"id":2}', 'json'],
    ]);
    const input = [Payload.fromValue({ id: 2 }, 'json', { n: 'a' }), Payload.fromValue({ id: 1 }, 'json', { n: 'b' })];
    const out = await load({ cache: 'c', key: 'customer-[[payload.id]]' }, ports, input);
    expect(out.map((p) => [p.format, p.text(), p.meta])).toEqual([
      ['json', '{"id":2}', { n: 'a' }],
      ['csv', 'id,name\n1,Ann\n', { n: 'b' }],
    ]);
  });

  it('fails with CACHE_MISS on a miss when fail_on_miss, naming the key', async () => {
    const err = await failure(load({ cache: 'c', key: 'nope', fail_on_miss: true }, memoryDataPorts()));
    expect(err.code).toBe('CACHE_MISS');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('entry "nope"');
  });

  it('loads nothing for a miss otherwise, with a warning', async () => {
    const logs: StepLog[] = [];
    const ports = memoryDataPorts();
    await seed(ports, [['a', '1', 'json']]);
    const out = await load(
      { cache: 'c', key: '[[payload.k]]' },
      ports,
      [Payload.fromValue({ k: 'a' }, 'json'), Payload.fromValue({ k: 'b' }, 'json')],
      logs,
    );
    expect(out.map((p) => p.value())).toEqual([1]);
    expect(logs[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('for 1 of 2 payloads') });
  });

  it('joins every page of the cache into one list, in key order, with all_pages', async () => {
    const ports = memoryDataPorts();
    await seed(ports, [
      ['page-2', '[3,4]', 'json'],
      ['page-1', '[1,2]', 'json'],
      ['page-3', '{"five":5}', 'json'],
      ['other', '[0]', 'json'],
    ]);
    const [all] = await load({ cache: 'c', key: 'page-', all_pages: true }, ports);
    expect(all!.value()).toEqual([1, 2, 3, 4, { five: 5 }]);
    const [everything] = await load({ cache: 'c', all_pages: true }, ports);
    expect((everything!.value() as unknown[]).length).toBe(6);
  });

  it('joins CSV pages as CSV and mixed JSON and CSV pages as JSON', async () => {
    const ports = memoryDataPorts();
    await seed(ports, [
      ['a', 'id\n1\n', 'csv'],
      ['b', 'id\n2\n', 'csv'],
    ]);
    const [csv] = await load({ cache: 'c', all_pages: true }, ports);
    expect([csv!.format, csv!.text()]).toEqual(['csv', 'id\n1\n2\n']);
    await seed(ports, [['c', '[{"id":"3"}]', 'json']]);
    const [mixed] = await load({ cache: 'c', all_pages: true }, ports);
    expect([mixed!.format, mixed!.value()]).toEqual(['json', [{ id: '1' }, { id: '2' }, { id: '3' }]]);
  });

  it('loads XML and text pages one payload each, since they cannot be joined', async () => {
    const ports = memoryDataPorts();
    await seed(ports, [
      ['a', '<a>1</a>', 'xml'],
      ['b', 'two', 'text'],
    ]);
    const out = await load({ cache: 'c', all_pages: true }, ports);
    expect(out.map((p) => [p.format, p.text()])).toEqual([
      ['xml', '<a>1</a>'],
      ['text', 'two'],
    ]);
  });

  it('fails an all_pages load that finds nothing when fail_on_miss', async () => {
    const err = await failure(load({ cache: 'c', key: 'x-', all_pages: true, fail_on_miss: true }, memoryDataPorts()));
    expect(err.message).toContain('every entry with a key starting "x-"');
  });

  it('loads nothing for an empty bucket', async () => {
    const ports = memoryDataPorts();
    await seed(ports, [['k', '1', 'json']]);
    expect(await load({ cache: 'c', key: 'k', fail_on_miss: true }, ports, [])).toEqual([]);
  });

  it('fails when a stored JSON page no longer parses', async () => {
    const ports = memoryDataPorts();
    await seed(ports, [['bad', '{oops', 'json']]);
    expect((await failure(load({ cache: 'c', all_pages: true }, ports))).code).toBe('PAYLOAD_FORMAT_ERROR');
  });
});
