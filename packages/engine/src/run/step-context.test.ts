import { describe, expect, it } from 'vitest';
import { StepContext } from './step-context.js';

const fields = {
  step: { id: 's', shape: 'map', config: {} },
  config: {},
  run: { id: 'r', companyId: 'c', flowId: 'f', versionId: 'v', trigger: 'api' as const, queuedAt: '2026-11-30T00:00:00.000Z' },
  variables: {},
  attempt: 1,
  itemKey: 'trigger>s',
  log: () => {},
  services: {} as never,
};

describe('StepContext', () => {
  it('asks for the attempt’s signal only when a shape reads it', () => {
    let made = 0;
    const controller = new AbortController();
    const ctx = new StepContext(fields, () => {
      made++;
      return controller.signal;
    });
    expect(made).toBe(0);
    expect(ctx.itemKey).toBe('trigger>s');
    expect(ctx.signal).toBe(controller.signal);
    expect(made).toBe(1);
  });

  it('shares one hidden class across steps: the getter is on the prototype, not on each context', () => {
    const ctx = new StepContext(fields, () => new AbortController().signal);
    expect(Object.getOwnPropertyDescriptor(ctx, 'signal')).toBeUndefined();
    expect(typeof Object.getOwnPropertyDescriptor(StepContext.prototype, 'signal')?.get).toBe('function');
  });
});
