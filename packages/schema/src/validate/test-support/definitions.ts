import type { FlowDefinition } from '../../flow.js';

/** The journey's flow, exactly as spec/flows.md §1 shows it; a fresh copy each call so tests may mutate it. */
export function journeyDefinition(): FlowDefinition {
  return {
    format: 'json',
    variables: { crm_url: 'http://127.0.0.1:9000/customers' },
    steps: [
      { id: 'trigger', shape: 'trigger', config: { schedules: [] } },
      {
        id: 'map',
        shape: 'map',
        name: 'Customers to CRM',
        config: {
          rules: [
            { source: '*.id', target: '*.customerId' },
            { sources: ['*.first_name', '*.last_name'], target: '*.fullName', transforms: [{ fn: 'concat', args: { separator: ' ' } }] },
            { source: '*.email', target: '*.email', transforms: [{ fn: 'lowercase' }, { fn: 'trim' }] },
          ],
        },
      },
      {
        id: 'send',
        shape: 'connector',
        config: {
          request: { method: 'POST', url: '[[flow.crm_url]]', headers: { 'Content-Type': 'application/json' } },
          timeout_seconds: 30,
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

/** A step that any test shape accepts: an empty config. */
export function step(id: string, shape: string, config: Record<string, unknown> = {}) {
  return { id, shape, config };
}

/** `trigger → a → b → …` as a definition of manual_payload steps. */
export function chain(...ids: string[]): FlowDefinition {
  const all = ['trigger', ...ids];
  return {
    steps: [step('trigger', 'trigger'), ...ids.map((id) => step(id, 'manual_payload', { body: '{}', format: 'json' }))],
    edges: all.slice(1).map((id, i) => ({ from: all[i] as string, to: id })),
  };
}
