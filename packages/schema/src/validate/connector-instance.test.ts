import { describe, expect, it } from 'vitest';
import { validateDefinition } from './index.js';
import { journeyDefinition } from './test-support/definitions.js';

/** The journey flow with step 2 (its connector) given `config`. */
function withConnector(config: Record<string, unknown>) {
  const definition = journeyDefinition();
  const step = definition.steps[2];
  if (step === undefined || step.shape !== 'connector') throw new Error('the journey flow has no connector at step 2');
  step.config = config;
  return definition;
}

describe('validateDefinition on connector instance endpoints', () => {
  it('accepts an instance with an endpoint and templated endpoint variables', () => {
    expect(validateDefinition(withConnector({ instance: 'inst-1', endpoint: 'orders', variables: { id: '[[payload.id]]' } }))).toEqual({});
  });

  it('asks for a request or an instance at the request path', () => {
    expect(validateDefinition(withConnector({ retries: 1 }))).toEqual({
      'steps[2].config.request': ['is required unless instance and endpoint are set'],
    });
  });

  it('refuses both a request and an instance at the instance path', () => {
    const config = { request: { method: 'GET', url: 'http://127.0.0.1:9000/x' }, instance: 'inst-1', endpoint: 'orders' };
    expect(validateDefinition(withConnector(config))).toEqual({
      'steps[2].config.instance': ['cannot be combined with request; use either an inline request or an instance endpoint'],
    });
  });

  it('asks for the endpoint of an instance at the endpoint path', () => {
    expect(validateDefinition(withConnector({ instance: 'inst-1' }))).toEqual({
      'steps[2].config.endpoint': ['is required with instance'],
    });
  });
});
