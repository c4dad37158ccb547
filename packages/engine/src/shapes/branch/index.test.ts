import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { branchShape } from './index.js';

describe('branch shape', () => {
  it('hands the same bucket to every branch', async () => {
    const input = [Payload.fromValue({ a: 1 }, 'json'), Payload.empty()];
    const result = await branchShape.execute(shapeContext({ branches: [{ label: 'crm' }, { label: 'erp' }] }), input);
    expect(result).toEqual({ payloads: [], routes: { crm: input, erp: input } });
  });

  it('hands an empty bucket on as empty', async () => {
    const result = await branchShape.execute(shapeContext({ branches: [{ label: 'only' }] }), []);
    expect(result.routes).toEqual({ only: [] });
  });
});
