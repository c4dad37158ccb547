import type { FlowDefinition } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { nearestEndpoints } from './connector-neighbours';

const connector = (id: string, endpoint?: string) => ({
  id,
  shape: 'connector',
  config: endpoint ? { instance: `inst-${id}`, endpoint } : { request: { method: 'POST', url: 'http://127.0.0.1/' } },
});

const definition: FlowDefinition = {
  steps: [
    { id: 'trigger', shape: 'trigger', config: {} },
    connector('far', 'list'),
    connector('fetch', 'get_orders'),
    { id: 'filter', shape: 'filter', config: {} },
    { id: 'map', shape: 'map', config: {} },
    connector('inline'),
    connector('send', 'create_order'),
  ],
  edges: [
    { from: 'trigger', to: 'far' },
    { from: 'far', to: 'fetch' },
    { from: 'fetch', to: 'filter' },
    { from: 'filter', to: 'map' },
    { from: 'map', to: 'inline' },
    { from: 'map', to: 'send' },
  ],
};

describe('nearestEndpoints', () => {
  it('finds the nearest upstream connector calling an endpoint, through other steps, and no further', () => {
    expect(nearestEndpoints(definition, 'map', 'before')).toEqual([{ stepId: 'fetch', instance: 'inst-fetch', endpoint: 'get_orders' }]);
  });

  it('finds downstream connectors calling an endpoint and skips inline requests', () => {
    expect(nearestEndpoints(definition, 'map', 'after')).toEqual([{ stepId: 'send', instance: 'inst-send', endpoint: 'create_order' }]);
  });

  it('finds nothing for a step without connector neighbours, and survives a cycle', () => {
    const loop: FlowDefinition = {
      steps: [
        { id: 'a', shape: 'map', config: {} },
        { id: 'b', shape: 'filter', config: {} },
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
      ],
    };
    expect(nearestEndpoints(loop, 'a', 'before')).toEqual([]);
    expect(nearestEndpoints(definition, 'trigger', 'before')).toEqual([]);
  });
});
