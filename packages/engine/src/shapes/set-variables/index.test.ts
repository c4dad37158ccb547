import type { SetVariablesConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { setVariablesShape } from './index.js';

async function run(config: SetVariablesConfig, input: Payload[], variables: Record<string, string> = {}) {
  return setVariablesShape.execute(shapeContext(config, { variables }), input);
}

describe('set_variables shape', () => {
  it('sets variables rendered against the first payload, for the rest of the run', async () => {
    const input = [Payload.fromValue({ order: 'A1' }, 'json', { source: 'shop' }), Payload.fromValue({ order: 'B2' }, 'json')];
    const result = await run({ variables: { last_order: '[[payload.order]]', origin: '[[meta.source]]/[[flow.env]]/[[run.id]]' } }, input, {
      env: 'prod',
    });
    expect(result.variables).toEqual({ last_order: 'A1', origin: 'shop/prod/run_1' });
    expect(result.payloads).toBe(input);
  });

  it('sets meta on each payload from its own data, keeping the meta it had and its bytes', async () => {
    const input = [Payload.fromBytes(Buffer.from('{"id":1}'), 'json', { a: 'x' }), Payload.fromBytes(Buffer.from('{"id":2}'), 'json')];
    const { payloads, variables } = await run({ meta: { order_id: 'ORD-[[payload.id]]' } }, input);
    expect(variables).toBeUndefined();
    expect(payloads.map((p) => [p.text(), p.meta])).toEqual([
      ['{"id":1}', { a: 'x', order_id: 'ORD-1' }],
      ['{"id":2}', { order_id: 'ORD-2' }],
    ]);
  });

  it('renders templates over XML, CSV and text payloads', async () => {
    const xml = Payload.fromBytes(Buffer.from('<order><id>7</id></order>'), 'xml');
    const csv = Payload.fromBytes(Buffer.from('id\n8\n9\n'), 'csv');
    const text = Payload.fromBytes(Buffer.from('hello'), 'text');
    const { payloads } = await run({ meta: { ids: '[[payload.order.id]][[payload.*.id]]', whole: '[[payload]]' } }, [xml, csv, text]);
    expect(payloads.map((p) => p.meta.ids)).toEqual(['7', '8,9', '']);
    expect(payloads[2]!.meta.whole).toBe('hello');
  });

  it('renders variables without a payload for an empty bucket', async () => {
    const result = await run({ variables: { stamp: '[[run.queued_at]]' }, meta: { k: 'v' } }, []);
    expect(result).toEqual({ payloads: [], variables: { stamp: '2026-11-10T08:59:59.000Z' } });
  });

  it('names the setting and the payload when a template refers to something not set', async () => {
    await expect(
      run({ meta: { k: '[[meta.missing]]' } }, [Payload.fromValue({}, 'json'), Payload.fromValue({}, 'json')]),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_ERROR',
      message: expect.stringMatching(/^meta\.k \(payload 1 of 2\): .*"missing"/),
    });
    await expect(run({ variables: { v: '[[flow.nope]]' } }, [])).rejects.toMatchObject({
      message: expect.stringMatching(/^variables\.v: /),
    });
  });

  it('refuses meta that would pass the 10 KiB limit', async () => {
    await expect(
      run({ meta: { big: '[[payload.text]]' } }, [Payload.fromValue({ text: 'x'.repeat(11_000) }, 'json')]),
    ).rejects.toMatchObject({
      code: 'PAYLOAD_STRUCTURE_ERROR',
      message: expect.stringContaining('more than the limit of 10240'),
    });
  });

  it('fails clearly when the payload does not parse and a template reads it', async () => {
    await expect(run({ meta: { id: '[[payload.id]]' } }, [Payload.fromBytes(Buffer.from('{'), 'json')])).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
    });
  });
});
