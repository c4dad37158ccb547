import type { RouteConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { routeShape } from './index.js';

const byCountry: RouteConfig = {
  routes: [
    { label: 'uk', conditions: [{ field: 'country', op: 'eq', value: 'GB' }] },
    { label: 'eu', conditions: [{ field: 'country', op: 'in', value: ['FR', 'DE', 'IE'] }] },
    { label: 'big', conditions: [{ field: 'total', op: 'gt', value: 100 }] },
  ],
};

async function route(config: RouteConfig, input: Payload[]) {
  const result = await routeShape.execute(shapeContext(config), input);
  expect(result.payloads).toEqual([]);
  return result.routes!;
}

const values = (bucket: Payload[] | undefined) => (bucket ?? []).map((p) => p.value());

describe('route shape', () => {
  it('sends an object payload whole down every route whose conditions hold', async () => {
    const gbBig = Payload.fromValue({ country: 'GB', total: 500 }, 'json');
    const fr = Payload.fromValue({ country: 'FR', total: 5 }, 'json');
    const out = await route(byCountry, [gbBig, fr]);
    expect(out.uk).toEqual([gbBig]);
    expect(out.eu).toEqual([fr]);
    expect(out.big).toEqual([gbBig]);
  });

  it('sends an object payload only down the first matching route with first_matching', async () => {
    const gbBig = Payload.fromValue({ country: 'GB', total: 500 }, 'json');
    const out = await route({ ...byCountry, method: 'first_matching' }, [gbBig]);
    expect(out.uk).toEqual([gbBig]);
    expect(out.big).toEqual([]);
  });

  it('sends a list payload down each route with any matching record, carrying only those records', async () => {
    const list = [
      { id: 1, country: 'GB', total: 5 },
      { id: 2, country: 'DE', total: 500 },
      { id: 3, country: 'US', total: 1 },
    ];
    const out = await route(byCountry, [Payload.fromValue(list, 'json', { k: 'v' })]);
    expect(values(out.uk)).toEqual([[list[0]]]);
    expect(values(out.eu)).toEqual([[list[1]]]);
    expect(values(out.big)).toEqual([[list[1]]]);
    expect(out.eu![0]!.meta).toEqual({ k: 'v' });
  });

  it('splits a list between routes with first_matching, each record going one way only', async () => {
    const list = [
      { id: 1, country: 'GB', total: 500 },
      { id: 2, country: 'US', total: 500 },
    ];
    const out = await route({ ...byCountry, method: 'first_matching' }, [Payload.fromValue(list, 'json')]);
    expect(values(out.uk)).toEqual([[list[0]]]);
    expect(values(out.big)).toEqual([[list[1]]]);
  });

  it('sends everything down a route without conditions, and what is left with first_matching', async () => {
    const config: RouteConfig = {
      method: 'first_matching',
      routes: [{ label: 'uk', conditions: [{ field: 'country', op: 'eq', value: 'GB' }] }, { label: 'otherwise' }],
    };
    const list = [{ country: 'GB' }, { country: 'FR' }];
    const out = await route(config, [Payload.fromValue(list, 'json')]);
    expect(values(out.uk)).toEqual([[list[0]]]);
    expect(values(out.otherwise)).toEqual([[list[1]]]);
  });

  it('hands on the payload itself when every record of a list matches', async () => {
    const input = Payload.fromValue([{ country: 'GB' }], 'json');
    expect((await route(byCountry, [input])).uk).toEqual([input]);
  });

  it('routes text payloads when no route needs their data', async () => {
    const text = Payload.fromBytes(Buffer.from('hello'), 'text');
    const out = await route({ routes: [{ label: 'a' }, { label: 'b' }] }, [text]);
    expect(out).toEqual({ a: [text], b: [text] });
  });

  it('refuses a text payload when a route has conditions', async () => {
    await expect(route(byCountry, [Payload.fromBytes(Buffer.from('GB'), 'text')])).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
    });
  });

  it('routes CSV rows and keeps the CSV format', async () => {
    const csv = Payload.fromBytes(Buffer.from('country,total\nGB,1\nFR,2\n'), 'csv');
    const out = await route(byCountry, [csv]);
    expect(out.eu![0]!.format).toBe('csv');
    expect(out.eu![0]!.text()).toBe('country,total\nFR,2\n');
  });

  it('tests an XML document by its fields', async () => {
    const xml = Payload.fromBytes(Buffer.from('<order><country>GB</country><total>150</total></order>'), 'xml');
    const config: RouteConfig = { routes: [{ label: 'uk', conditions: [{ field: 'order.country', op: 'eq', value: 'GB' }] }] };
    expect((await route(config, [xml])).uk).toEqual([xml]);
  });

  it('lets payloads no route takes go nowhere, and emits empty routes for an empty bucket', async () => {
    expect(await route(byCountry, [Payload.fromValue({ country: 'US', total: 1 }, 'json')])).toEqual({ uk: [], eu: [], big: [] });
    expect(await route(byCountry, [])).toEqual({ uk: [], eu: [], big: [] });
  });

  it('names the route of a condition whose template refers to an unknown variable', async () => {
    const config: RouteConfig = {
      routes: [{ label: 'a' }, { label: 'b', conditions: [{ field: 'x', op: 'eq', value: '[[flow.nope]]' }] }],
    };
    await expect(route(config, [Payload.fromValue({ x: 1 }, 'json')])).rejects.toMatchObject({
      code: 'TEMPLATE_ERROR',
      message: expect.stringMatching(/^routes\[1\]\.conditions\[0\]\.value: /),
    });
  });

  it('partitions a hundred thousand records', async () => {
    const list = Array.from({ length: 100_000 }, (_, i) => ({ country: i % 4 === 0 ? 'GB' : 'FR', total: i }));
    const out = await route({ ...byCountry, method: 'first_matching' }, [Payload.fromValue(list, 'json')]);
    expect((out.uk![0]!.value() as unknown[]).length).toBe(25_000);
    expect((out.eu![0]!.value() as unknown[]).length).toBe(75_000);
  });
});
