import type { FilterConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
import { filterShape } from './index.js';

const paid: FilterConfig = { conditions: [{ field: 'status', op: 'eq', value: 'paid' }] };
const orders = [
  { id: 1, status: 'paid' },
  { id: 2, status: 'open' },
  { id: 3, status: 'paid' },
];

async function filter(config: FilterConfig, input: Payload[], logs: StepLog[] = []) {
  return (await filterShape.execute(shapeContext(config, { log: (l) => logs.push(l) }), input)).payloads;
}

describe('filter shape', () => {
  it('keeps the records of the root list that match', async () => {
    const [out] = await filter(paid, [Payload.fromValue(orders, 'json', { k: 'v' })]);
    expect(out!.value()).toEqual([orders[0], orders[2]]);
    expect(out!.meta).toEqual({ k: 'v' });
  });

  it('removes the matching records in remove mode', async () => {
    const [out] = await filter({ ...paid, mode: 'remove' }, [Payload.fromValue(orders, 'json')]);
    expect(out!.value()).toEqual([orders[1]]);
  });

  it('combines conditions with or', async () => {
    const config: FilterConfig = {
      logic: 'or',
      conditions: [
        { field: 'id', op: 'eq', value: 2 },
        { field: 'id', op: 'eq', value: 3 },
      ],
    };
    expect((await filter(config, [Payload.fromValue(orders, 'json')]))[0]!.value()).toEqual([orders[1], orders[2]]);
  });

  it('filters a nested list and keeps the rest of the document, leaving the input untouched', async () => {
    const doc = { batch: 'B7', orders };
    const input = Payload.fromValue(doc, 'json');
    const [out] = await filter({ ...paid, path: 'orders' }, [input]);
    expect(out!.value()).toEqual({ batch: 'B7', orders: [orders[0], orders[2]] });
    expect(input.value()).toEqual({ batch: 'B7', orders });
  });

  it('reads "orders.*" as the list under orders', async () => {
    const [out] = await filter({ ...paid, path: 'orders.*' }, [Payload.fromValue({ orders }, 'json')]);
    expect(out!.value()).toEqual({ orders: [orders[0], orders[2]] });
  });

  it('hands on the very same payload when every record stays', async () => {
    const input = Payload.fromValue([orders[0]], 'json');
    expect((await filter(paid, [input]))[0]).toBe(input);
  });

  it('drops a payload whose root list loses every record, but keeps a nested list empty', async () => {
    const none: FilterConfig = { conditions: [{ field: 'status', op: 'eq', value: 'refunded' }] };
    expect(await filter(none, [Payload.fromValue(orders, 'json')])).toEqual([]);
    const [out] = await filter({ ...none, path: 'orders' }, [Payload.fromValue({ batch: 1, orders }, 'json')]);
    expect(out!.value()).toEqual({ batch: 1, orders: [] });
  });

  it('tests an object payload at the root as one record', async () => {
    const input = [Payload.fromValue({ id: 1, status: 'paid' }, 'json'), Payload.fromValue({ id: 2, status: 'open' }, 'json')];
    const out = await filter(paid, input);
    expect(out).toEqual([input[0]]);
  });

  it('passes a payload without the path on unchanged and says so in the log', async () => {
    const logs: StepLog[] = [];
    const input = Payload.fromValue({ other: 1 }, 'json');
    expect(await filter({ ...paid, path: 'orders' }, [input], logs)).toEqual([input]);
    expect(logs).toEqual([{ level: 'warning', message: 'filter: nothing at path "orders" in 1 of 1 payload; passed on unchanged' }]);
  });

  it('emits nothing for an empty bucket', async () => {
    expect(await filter(paid, [])).toEqual([]);
  });

  it('filters CSV rows and writes CSV back', async () => {
    const csv = Payload.fromBytes(Buffer.from('id,total\n1,5\n2,50\n3,500\n'), 'csv');
    const [out] = await filter({ conditions: [{ field: 'total', op: 'gte', value: 50 }] }, [csv]);
    expect(out!.format).toBe('csv');
    expect(out!.text()).toBe('id,total\n2,50\n3,500\n');
  });

  it('filters repeated XML elements and writes XML back', async () => {
    const xml = Payload.fromBytes(
      Buffer.from('<orders><order id="1"><status>paid</status></order><order id="2"><status>open</status></order></orders>'),
      'xml',
    );
    const [out] = await filter({ ...paid, path: 'orders.order' }, [xml]);
    expect(out!.format).toBe('xml');
    expect(out!.text()).toContain('<orders><order id="1"><status>paid</status></order></orders>');
  });

  it('takes an XML element that occurs once as a list of one', async () => {
    const xml = Payload.fromBytes(Buffer.from('<orders><order><status>open</status></order></orders>'), 'xml');
    const [out] = await filter({ ...paid, path: 'orders.order' }, [xml]);
    expect(out!.value()).toEqual({ orders: { order: [] } });
  });

  it('refuses a text payload with a message that says why', async () => {
    await expect(filter(paid, [Payload.fromBytes(Buffer.from('id,status'), 'text')])).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
      message: expect.stringContaining('filter needs structured data (json, xml or csv), but the payload is text'),
    });
  });

  it('names the payload whose JSON does not parse', async () => {
    const input = [Payload.fromValue([], 'json'), Payload.fromBytes(Buffer.from('{"a":'), 'json')];
    await expect(filter(paid, input)).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
      message: expect.stringMatching(/^payload 2 of 2: /),
    });
  });

  it('refuses a path that holds a plain value', async () => {
    await expect(filter({ ...paid, path: 'batch' }, [Payload.fromValue({ batch: 'B7' }, 'json')])).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
      message: 'filter: path "batch" in the payload holds the text "B7", not a list of records; point path at a list',
    });
  });

  it('refuses a bad configuration that skipped validation', async () => {
    await expect(filter({ path: 'a.*.b', ...paid }, [Payload.fromValue({}, 'json')])).rejects.toMatchObject({ code: 'FLOW_INVALID' });
    await expect(
      filter({ conditions: [{ field: 'x', op: 'matches', value: '(x*)*' }] }, [Payload.fromValue([], 'json')]),
    ).rejects.toMatchObject({ code: 'FLOW_INVALID', message: expect.stringContaining('conditions[0].value') });
  });

  it('filters a list of a hundred thousand records', async () => {
    const big = Array.from({ length: 100_000 }, (_, i) => ({ id: i, status: i % 2 ? 'paid' : 'open' }));
    const [out] = await filter(paid, [Payload.fromValue(big, 'json')]);
    expect((out!.value() as unknown[]).length).toBe(50_000);
  });
});
