import { AppError, type MapConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../payload.js';
import { mapShape, previewMap, validateMapConfig } from '../shapes/map/index.js';
import { shapeContext } from '../shapes/map/test-support/context.js';
import { memoryDataPorts } from '../test-support/memory-data-ports.js';

type Ports = ReturnType<typeof memoryDataPorts>;

async function seed(ports: Ports, scope: 'run' | 'flow' | 'company', key: string, body: string, format: 'json' | 'text' | 'csv' = 'json') {
  const scopeId = scope === 'run' ? 'run_1' : scope === 'flow' ? 'flow_1' : '';
  await ports.caches.put(
    { companyId: 'co_1', name: 'customers', scope, scopeId },
    { key, format, body: Buffer.from(body), meta: {}, append: false },
  );
}

async function map(config: MapConfig, value: unknown, ports: Ports | undefined) {
  const base = shapeContext(config);
  const ctx = shapeContext(config, { services: { ...base.services, ...(ports && { caches: ports.caches }) } });
  const [out] = (await mapShape.execute(ctx, [Payload.fromValue(value, 'json')])).payloads;
  return out!.value();
}

const rule = (args: Record<string, unknown>) => ({
  rules: [{ source: '*.customer', target: '*.name', transforms: [{ fn: 'cache_lookup', args }] }],
});

describe('cache_lookup transform', () => {
  it('reads the entry under key_prefix + value, or a field of it, once per key', async () => {
    const ports = memoryDataPorts();
    await seed(ports, 'flow', 'customer-7', '{"name":"Ann","tier":{"level":2}}');
    await seed(ports, 'flow', 'customer-8', '{"name":"Bob"}');
    const out = await map(
      rule({ cache: 'customers', key_prefix: 'customer-', path: 'name' }),
      [{ customer: 7 }, { customer: '8' }, { customer: 7 }],
      ports,
    );
    expect(out).toEqual([{ name: 'Ann' }, { name: 'Bob' }, { name: 'Ann' }]);
    const whole = await map(rule({ cache: 'customers', key_prefix: 'customer-', path: 'tier.level' }), [{ customer: 7 }], ports);
    expect(whole).toEqual([{ name: 2 }]);
  });

  it('reads the cache of the scope named: run, flow or company', async () => {
    const ports = memoryDataPorts();
    await seed(ports, 'company', 'x', '"company value"');
    await seed(ports, 'run', 'x', 'run value', 'text');
    expect(await map(rule({ cache: 'customers', scope: 'company' }), [{ customer: 'x' }], ports)).toEqual([{ name: 'company value' }]);
    expect(await map(rule({ cache: 'customers', scope: 'run' }), [{ customer: 'x' }], ports)).toEqual([{ name: 'run value' }]);
    expect(await map(rule({ cache: 'customers' }), [{ customer: 'x' }], ports)).toEqual([{ name: 'x' }]);
  });

  it('keeps the value, gives a default or empty text, or fails on a miss', async () => {
    const ports = memoryDataPorts();
    expect(await map(rule({ cache: 'customers' }), [{ customer: 'nobody' }], ports)).toEqual([{ name: 'nobody' }]);
    expect(await map(rule({ cache: 'customers', on_miss: 'default', default: 'n/a' }), [{ customer: 1 }], ports)).toEqual([
      { name: 'n/a' },
    ]);
    expect(await map(rule({ cache: 'customers', on_miss: 'empty' }), [{ customer: 1 }], ports)).toEqual([{ name: '' }]);
    const err = await map(rule({ cache: 'customers', on_miss: 'fail' }), [{ customer: 1 }], ports).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain('no entry "1" in cache "customers" (flow scope; on_miss is fail)');
  });

  it('looks up each element of a list, and leaves a missing value missing', async () => {
    const ports = memoryDataPorts();
    await seed(ports, 'flow', 'a', '"A"');
    const out = await map(
      { rules: [{ source: 'ids', target: 'names', transforms: [{ fn: 'cache_lookup', args: { cache: 'customers' } }] }] },
      { ids: ['a', 'b'] },
      ports,
    );
    expect(out).toEqual({ names: ['A', 'b'] });
    expect(await map(rule({ cache: 'customers' }), [{ other: 1 }], ports)).toEqual([{}]);
  });

  it('refuses an object as a key, and says so where caches cannot be read', async () => {
    const ports = memoryDataPorts();
    const bad = await map(rule({ cache: 'customers' }), [{ customer: { id: 1 } }], ports).catch((e: unknown) => e);
    expect((bad as AppError).message).toContain('needs text, a number or true/false as the key, got an object');
    const none = await map(rule({ cache: 'customers' }), [{ customer: 1 }], undefined).catch((e: unknown) => e);
    expect((none as AppError).message).toContain('caches can be read only while a flow runs');
    const preview = await previewMap(rule({ cache: 'customers' }).rules, [{ customer: 1 }]);
    expect(preview.errors[0]?.message).toContain('caches can be read only while a flow runs');
  });

  it('names bad arguments by their path', () => {
    const problems = validateMapConfig(rule({ scope: 'global', cache: 'a b', path: 'a..b', on_miss: 'default', colour: 1 }));
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^rules\[0\]\.transforms\[0\]\.args\.colour: is not an argument of cache_lookup/),
      expect.stringMatching(/^rules\[0\]\.transforms\[0\]\.args\.scope: .*run, flow, company/),
    ]);
    expect(validateMapConfig(rule({ cache: 'a b', path: 'a..b', on_miss: 'default' })).map((p) => p.path)).toEqual([
      'rules[0].transforms[0].args.cache',
      'rules[0].transforms[0].args.path',
      'rules[0].transforms[0].args.default',
    ]);
    expect(validateMapConfig(rule({}))[0]?.path).toBe('rules[0].transforms[0].args.cache');
  });
});
