import type { ManualPayloadConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { manualPayloadShape } from './index.js';

const run = (config: ManualPayloadConfig, input: Payload[] = []) => manualPayloadShape.execute(shapeContext(config), input);

describe('manual_payload shape', () => {
  it('replaces the bucket with one payload holding the body in its format', async () => {
    const input = [Payload.fromValue({ old: 1 }, 'json', { k: 'v' }), Payload.fromValue({ old: 2 }, 'json')];
    const { payloads } = await run({ body: '[{"id":1}]', format: 'json' }, input);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]!.format).toBe('json');
    expect(payloads[0]!.value()).toEqual([{ id: 1 }]);
    expect(payloads[0]!.meta).toEqual({ k: 'v' });
  });

  it('emits its payload for an empty bucket too', async () => {
    const { payloads } = await run({ body: 'hello', format: 'text' });
    expect(payloads.map((p) => [p.text(), p.meta])).toEqual([['hello', {}]]);
  });

  it('emits CSV and XML bodies that parse in their format', async () => {
    expect((await run({ body: 'a,b\n1,2\n', format: 'csv' })).payloads[0]!.value()).toEqual([{ a: '1', b: '2' }]);
    expect((await run({ body: '<a x="1"/>', format: 'xml' })).payloads[0]!.value()).toEqual({ a: { '@_x': '1' } });
  });

  it('gives every run its own copy of the bytes', async () => {
    const config: ManualPayloadConfig = { body: 'x', format: 'text' };
    const first = (await run(config)).payloads[0]!.bytes();
    first[0] = 0x79;
    expect((await run(config)).payloads[0]!.text()).toBe('x');
  });

  it('fails with PAYLOAD_FORMAT_ERROR when the body is not a document of its format', async () => {
    await expect(run({ body: '{"a":', format: 'json' })).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
      message: expect.stringMatching(/^body: JSON payload does not parse/),
    });
    await expect(run({ body: 'a,b\n1\n', format: 'csv' })).rejects.toMatchObject({ code: 'PAYLOAD_FORMAT_ERROR' });
  });

  it('refuses an XML body with a DOCTYPE', async () => {
    await expect(run({ body: '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', format: 'xml' })).rejects.toMatchObject({ code: 'XML_REFUSED' });
  });

  it('refuses an unknown format', async () => {
    await expect(run({ body: 'x', format: 'yaml' as never })).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
      message: expect.stringContaining('format must be one of'),
    });
  });
});
