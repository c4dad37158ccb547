import type { EngineServices } from '../../../services.js';
import type { ShapeContext } from '../../../shape.js';

/** A ShapeContext for shape tests: a fixed clock, no network, no logging. */
export function shapeContext<C>(config: C, overrides: Partial<ShapeContext<C>> = {}): ShapeContext<C> {
  const services: EngineServices = {
    http: {
      request: () => Promise.reject(new Error('no network in shape tests')),
      close: () => Promise.resolve(),
    },
    now: () => new Date('2026-11-10T09:00:00.000Z'),
    sleep: () => Promise.resolve(),
  };
  return {
    step: { id: 'step', shape: 'test', config: config as Record<string, unknown> },
    config,
    run: { id: 'run_1', companyId: 'co_1', flowId: 'flow_1', versionId: 'ver_1', trigger: 'api', queuedAt: '2026-11-10T08:59:59.000Z' },
    variables: {},
    attempt: 1,
    itemKey: 'step#0',
    signal: new AbortController().signal,
    log: () => {},
    services,
    ...overrides,
  };
}
