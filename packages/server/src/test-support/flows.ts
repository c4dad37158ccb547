import { readFileSync } from 'node:fs';
import type { FlowDefinition } from '@weft/schema';

export const FIXTURES = new URL('../../../../../shared/fixtures/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** The journey's flow (W1): trigger → map (hand-typed rules) → POST to the sink. */
export function customersToCrm(sinkUrl: string): FlowDefinition {
  return {
    format: 'json',
    variables: { crm_url: `${sinkUrl}/customers` },
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      {
        id: 'map',
        shape: 'map',
        name: 'Customers to CRM',
        config: {
          rules: [
            { source: '*.id', target: '*.customerId' },
            { sources: ['*.first_name', '*.last_name'], target: '*.fullName', transforms: [{ fn: 'concat', args: { separator: ' ' } }] },
            { source: '*.email', target: '*.email', transforms: [{ fn: 'lowercase' }, { fn: 'trim' }] },
            {
              source: '*.total',
              target: '*.totalPence',
              transforms: [{ fn: 'to_number' }, { fn: 'multiply', args: { by: 100 } }, { fn: 'round', args: { places: 0 } }],
            },
          ],
        },
      },
      {
        id: 'send',
        shape: 'connector',
        config: {
          request: { method: 'POST', url: '[[flow.crm_url]]', headers: { 'Content-Type': 'application/json' } },
          timeout_seconds: 5,
          retries: 2,
        },
      },
    ],
    edges: [
      { from: 'trigger', to: 'map' },
      { from: 'map', to: 'send' },
    ],
  };
}
