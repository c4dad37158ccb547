import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { triggerShape } from './index.js';

describe('trigger shape', () => {
  it('hands on the bucket it receives unchanged', async () => {
    const input = [Payload.fromBytes(Buffer.from('{"a":1}'), 'json', { k: 'v' }), Payload.empty()];
    const { payloads } = await triggerShape.execute(shapeContext({ schedules: ['0 6 * * *'] }), input);
    expect(payloads).toHaveLength(2);
    expect(payloads[0]).toBe(input[0]);
    expect(payloads[1]).toBe(input[1]);
  });

  it('hands on an empty bucket as empty', async () => {
    expect((await triggerShape.execute(shapeContext({}), [])).payloads).toEqual([]);
  });

  it('is named as in the flow definition', () => {
    expect(triggerShape.name).toBe('trigger');
  });
});
