import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { tryCatchShape } from './index.js';

// What happens to failures on the try path is the engine's part: see run/execute-run.test.ts.
describe('try_catch shape', () => {
  it('hands its bucket down the try path and nothing down catch', async () => {
    const input = [Payload.fromValue([1], 'json')];
    expect(await tryCatchShape.execute(shapeContext({ on_error: 'fail' }), input)).toEqual({ payloads: [], routes: { try: input } });
  });
});
