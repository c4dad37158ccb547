import type { SplitConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
import { splitShape } from './index.js';

async function split(config: SplitConfig, input: Payload[], logs: StepLog[] = []) {
  return (await splitShape.execute(shapeContext(config, { log: (l) => logs.push(l) }), input)).payloads;
}

describe('split shape', () => {
  it('makes each element of the root list its own payload, with the input meta', async () => {
    const out = await split({}, [Payload.fromValue([{ id: 1 }, { id: 2 }], 'json', { k: 'v' })]);
    expect(out.map((p) => [p.value(), p.meta])).toEqual([
      [{ id: 1 }, { k: 'v' }],
      [{ id: 2 }, { k: 'v' }],
    ]);
  });

  it('splits the list at a path and wraps each element under wrapper_key', async () => {
    const out = await split({ path: 'order.lines', wrapper_key: 'line' }, [Payload.fromValue({ order: { lines: ['a', 'b'] } }, 'json')]);
    expect(out.map((p) => p.value())).toEqual([{ line: 'a' }, { line: 'b' }]);
  });

  it('keeps a wrapper_key such as __proto__ as plain data', async () => {
    const [out] = await split({ wrapper_key: '__proto__' }, [Payload.fromValue([1], 'json')]);
    expect(out!.text()).toBe('{"__proto__":1}');
  });

  it('splits every payload of the bucket in order', async () => {
    const out = await split({}, [Payload.fromValue([1, 2], 'json'), Payload.fromValue([3], 'json')]);
    expect(out.map((p) => p.value())).toEqual([1, 2, 3]);
  });

  it('makes no payloads from an empty list, a missing path (with a warning) or an empty bucket', async () => {
    const logs: StepLog[] = [];
    expect(await split({}, [Payload.fromValue([], 'json')])).toEqual([]);
    expect(await split({ path: 'items' }, [Payload.fromValue({}, 'json')], logs)).toEqual([]);
    expect(logs[0]!.message).toContain('nothing at path "items"');
    expect(await split({}, [])).toEqual([]);
  });

  it('makes a one-row CSV document of each CSV row', async () => {
    const out = await split({}, [Payload.fromBytes(Buffer.from('id,name\n1,a\n2,b\n'), 'csv')]);
    expect(out.map((p) => p.text())).toEqual(['id,name\n1,a\n', 'id,name\n2,b\n']);
  });

  it('makes an XML document of each repeated element, wrapped under wrapper_key', async () => {
    const xml = Payload.fromBytes(
      Buffer.from('<orders><order id="1"><sku>a</sku></order><order id="2"><sku>b</sku></order></orders>'),
      'xml',
    );
    const out = await split({ path: 'orders.order', wrapper_key: 'order' }, [xml]);
    expect(out.map((p) => p.text().split('\n')[1])).toEqual(['<order id="1"><sku>a</sku></order>', '<order id="2"><sku>b</sku></order>']);
  });

  it('fails when an element cannot be written in the payload format', async () => {
    const csv = Payload.fromBytes(Buffer.from('id\n1\n'), 'csv');
    await expect(split({ wrapper_key: 'row' }, [csv])).resolves.toHaveLength(1);
    const xml = Payload.fromBytes(Buffer.from('<tags><tag>a</tag><tag>b</tag></tags>'), 'xml');
    await expect(split({ path: 'tags.tag', wrapper_key: '1 bad name' }, [xml])).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
      message: expect.stringContaining('split: the payload, element 1 cannot be written as xml'),
    });
  });

  it('refuses a text payload', async () => {
    await expect(split({}, [Payload.fromBytes(Buffer.from('a\nb'), 'text')])).rejects.toMatchObject({ code: 'PAYLOAD_STRUCTURE_ERROR' });
  });

  it('splits a list of a hundred thousand elements', async () => {
    const out = await split({}, [
      Payload.fromValue(
        Array.from({ length: 100_000 }, (_, i) => ({ i })),
        'json',
      ),
    ]);
    expect(out).toHaveLength(100_000);
    expect(out[99_999]!.value()).toEqual({ i: 99_999 });
  });
});
