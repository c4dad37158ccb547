import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
import { callbackShape } from './index.js';

describe('callback shape', () => {
  it('passes its input on unchanged and says the answer is ready in a callback run', async () => {
    const logs: StepLog[] = [];
    const base = shapeContext({ status: 201 }, { log: (l) => logs.push(l) });
    const input = [Payload.fromValue({ ok: true }, 'json'), Payload.fromValue('x', 'text')];
    const result = await callbackShape.execute({ ...base, run: { ...base.run, trigger: 'callback' } }, input);
    expect(result.payloads).toBe(input);
    expect(logs).toEqual([{ level: 'info', message: 'callback: answer of 2 payloads ready (status 201)' }]);
  });

  it('passes payloads on in a run no request waits for, saying so at debug level', async () => {
    const logs: StepLog[] = [];
    const result = await callbackShape.execute(shapeContext({}, { log: (l) => logs.push(l) }), []);
    expect(result.payloads).toEqual([]);
    expect(logs).toEqual([{ level: 'debug', message: 'callback: the run was started by "api", not a callback request; payloads pass on' }]);
  });

  it('is not retried: passing payloads on has nothing another attempt could cure', () => {
    expect(callbackShape.retries!({})).toBe(0);
  });
});
