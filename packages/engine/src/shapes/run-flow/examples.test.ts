import { readFileSync } from 'node:fs';
import type { FlowDefinition } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import '../../formats/index.js';
import { Payload } from '../../payload.js';
import { executeRun } from '../../run/execute-run.js';
import { MemoryJournal } from '../../run/memory-journal.js';
import type { EngineServices } from '../../services.js';
import type { RunInfo } from '../../shape.js';
import { shapeRegistry } from '../index.js';
import type { EmailMessage } from '../notify/email.js';
import type { ChildRun, StartChildInput } from './port.js';

function example(name: string): FlowDefinition {
  return JSON.parse(readFileSync(new URL(`../../../../../examples/flows/${name}`, import.meta.url), 'utf8')).definition;
}

async function run(definition: FlowDefinition, input: Payload, extra: Partial<EngineServices>) {
  const journal = new MemoryJournal();
  const services: EngineServices = {
    http: { request: () => Promise.reject(new Error('no network')), close: async () => {} },
    now: () => new Date('2026-11-10T09:00:00.000Z'),
    sleep: async () => {},
    ...extra,
  };
  const outcome = await executeRun({
    run: { id: 'r1', companyId: 'c1', flowId: 'f1', versionId: 'v1', trigger: 'callback', queuedAt: '2026-11-10T08:59:00.000Z' },
    definition,
    input,
    variables: definition.variables ?? {},
    journal,
    services,
    shapes: shapeRegistry(),
    retryBaseMs: 1,
  });
  return { outcome, journal };
}

describe('the run_flow and callback example flows', () => {
  it('run_flow.json starts one child per order and passes on their statuses', async () => {
    const started: StartChildInput[] = [];
    const childRuns = {
      async start(input: StartChildInput): Promise<ChildRun> {
        started.push(input);
        return { id: `child_${started.length}`, flowId: 'invoices', status: 'success', error: null, queuedAt: '2026-11-10T09:00:00.000Z' };
      },
      async children(_parent: RunInfo): Promise<ChildRun[]> {
        return started.map((_, i) => ({
          id: `child_${i + 1}`,
          flowId: 'invoices',
          status: 'success' as const,
          error: null,
          queuedAt: '2026-11-10T09:00:00.000Z',
        }));
      },
      async outputs() {
        return [];
      },
    };
    const { outcome, journal } = await run(example('run_flow.json'), Payload.fromValue({ orders: [{ id: 1 }, { id: 2 }] }, 'json'), {
      childRuns,
    });
    expect(outcome.status).toBe('success');
    expect(started.map((s) => [s.flow, s.payload.body.toString()])).toEqual([
      ['Create invoice', '{"id":1}'],
      ['Create invoice', '{"id":2}'],
    ]);
    const invoice = journal.entries.find((e) => e.stepId === 'invoice');
    expect(invoice?.status).toBe('success');
  });

  it('callback.json answers with the quote and emails it to sales', async () => {
    const sent: EmailMessage[] = [];
    const email = {
      async sendToGroup(_companyId: string, group: string, message: EmailMessage) {
        expect(group).toBe('sales');
        sent.push(message);
        return { recipients: ['s@x.test'] };
      },
    };
    const { outcome, journal } = await run(example('callback.json'), Payload.fromValue({ sku: 'AB-1', quantity: 4 }, 'json'), { email });
    expect(outcome.status).toBe('success');
    expect(journal.entries.map((e) => e.stepId)).toEqual(['trigger', 'quote', 'reply', 'tell_sales']);
    expect(sent).toEqual([{ subject: 'Quote for AB-1', text: 'Quoted 4 x AB-1 at 10 (run r1)' }]);
  });
});
