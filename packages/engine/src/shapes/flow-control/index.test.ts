import type { FlowControlConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
import { flowControlShape } from './index.js';

async function batches(config: FlowControlConfig, input: Payload[], logs: StepLog[] = []) {
  return (await flowControlShape.execute(shapeContext(config, { log: (l) => logs.push(l) }), input)).payloads;
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('flow_control shape', () => {
  it('splits the root list into batches of the given size, one payload each, keeping meta', async () => {
    const out = await batches({ size: 2 }, [Payload.fromValue(numbers(5), 'json', { k: 'v' })]);
    expect(out.map((p) => p.value())).toEqual([[1, 2], [3, 4], [5]]);
    expect(out.every((p) => p.meta.k === 'v')).toBe(true);
  });

  it('keeps a batch of one as a list unless no_wrap_single is set', async () => {
    expect((await batches({ size: 2 }, [Payload.fromValue(numbers(3), 'json')])).map((p) => p.value())).toEqual([[1, 2], [3]]);
    const unwrapped = await batches({ size: 2, no_wrap_single: true }, [Payload.fromValue(numbers(3), 'json')]);
    expect(unwrapped.map((p) => p.value())).toEqual([[1, 2], 3]);
    const each = await batches({ size: 1, no_wrap_single: true }, [Payload.fromValue([{ id: 1 }], 'json')]);
    expect(each.map((p) => p.value())).toEqual([{ id: 1 }]);
  });

  it('keeps the document around each batch of a nested list', async () => {
    const out = await batches({ size: 2, path: 'orders' }, [Payload.fromValue({ batch: 'B7', orders: numbers(3) }, 'json')]);
    expect(out.map((p) => p.value())).toEqual([
      { batch: 'B7', orders: [1, 2] },
      { batch: 'B7', orders: [3] },
    ]);
  });

  it('hands on the payload itself when it fits in one batch', async () => {
    const input = Payload.fromValue(numbers(3), 'json');
    expect(await batches({ size: 10 }, [input])).toEqual([input]);
  });

  it('makes no batches from an empty list and none for an empty bucket', async () => {
    expect(await batches({ size: 10 }, [Payload.fromValue([], 'json')])).toEqual([]);
    expect(await batches({ size: 10 }, [])).toEqual([]);
  });

  it('passes a payload without the path on unchanged, with a warning', async () => {
    const logs: StepLog[] = [];
    const input = Payload.fromValue({ other: [] }, 'json');
    expect(await batches({ size: 2, path: 'orders' }, [input], logs)).toEqual([input]);
    expect(logs[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('nothing at path "orders"') });
  });

  it('batches CSV rows into CSV documents with the header each', async () => {
    const csv = Payload.fromBytes(Buffer.from('id,name\n1,a\n2,b\n3,c\n'), 'csv');
    const out = await batches({ size: 2 }, [csv]);
    expect(out.map((p) => [p.format, p.text()])).toEqual([
      ['csv', 'id,name\n1,a\n2,b\n'],
      ['csv', 'id,name\n3,c\n'],
    ]);
  });

  it('batches repeated XML elements, each batch under the same root', async () => {
    const xml = Payload.fromBytes(Buffer.from('<orders><order>1</order><order>2</order><order>3</order></orders>'), 'xml');
    const out = await batches({ size: 2, path: 'orders.order' }, [xml]);
    expect(out.map((p) => p.text().split('\n')[1])).toEqual([
      '<orders><order>1</order><order>2</order></orders>',
      '<orders><order>3</order></orders>',
    ]);
  });

  it('refuses text payloads and paths that hold a plain value', async () => {
    await expect(batches({ size: 2 }, [Payload.fromBytes(Buffer.from('1,2,3'), 'text')])).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
    });
    await expect(batches({ size: 2, path: 'n' }, [Payload.fromValue({ n: 5 }, 'json')])).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
      message: expect.stringContaining('holds the number 5'),
    });
  });

  it('batches a hundred thousand records into a hundred payloads', async () => {
    const out = await batches({ size: 1000 }, [Payload.fromValue(numbers(100_000), 'json')]);
    expect(out).toHaveLength(100);
    expect((out[99]!.value() as number[]).at(-1)).toBe(100_000);
  });
});
