import { readdirSync, readFileSync } from 'node:fs';
import { type FlowDefinition, SHAPES, validateDefinition } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from './payload.js';
import { executeRun } from './run/execute-run.js';
import { MemoryJournal } from './run/memory-journal.js';
import type { EngineServices } from './services.js';
import { shapeRegistry } from './shapes/index.js';

const directory = new URL('../../../examples/flows/', import.meta.url);
const examples = readdirSync(directory)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, document: JSON.parse(readFileSync(new URL(name, directory), 'utf8')) }));

function definitionOf(name: string): FlowDefinition {
  const found = examples.find((e) => e.name === name);
  if (!found) throw new Error(`no example ${name}`);
  return found.document.definition;
}

const services: EngineServices = {
  http: { request: () => Promise.reject(new Error('no network in example runs')), close: async () => {} },
  now: () => new Date('2026-11-10T09:00:00.000Z'),
  sleep: async () => {},
};

async function runExample(name: string, input: Payload) {
  const journal = new MemoryJournal();
  const definition = definitionOf(name);
  const outcome = await executeRun({
    run: { id: 'r1', companyId: 'c1', flowId: 'f1', versionId: 'v1', trigger: 'api', queuedAt: '2026-11-10T08:59:00.000Z' },
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

describe('the example flows in examples/flows', () => {
  it.each(examples.map((e) => [e.name, e.document] as const))('%s is an import document whose definition validates', (_name, document) => {
    expect(document.format).toBe('weft.flow/v1');
    expect(typeof document.flow.name).toBe('string');
    expect(validateDefinition(document.definition)).toEqual({});
  });

  it('show every shape the engine runs at least once', () => {
    const used = new Set(examples.flatMap((e) => (e.document.definition as FlowDefinition).steps.map((s) => s.shape)));
    expect(SHAPES.filter((shape) => !used.has(shape))).toEqual([]);
    expect([...shapeRegistry().keys()].sort()).toEqual([...SHAPES].sort());
  });

  it('assert.json passes on its own sample', async () => {
    const { outcome } = await runExample('assert.json', Payload.empty());
    expect(outcome).toEqual({ status: 'success', stepsExecuted: 4 });
  });

  it('notify.json logs a line per order', async () => {
    const { outcome, journal } = await runExample('notify.json', Payload.fromValue({ ref: 'LMUK62388' }, 'json'));
    expect(outcome.status).toBe('success');
    expect(journal.logs.map((l) => l.message)).toContain('Order LMUK62388 received in run r1');
  });

  it('try_catch.json sends a payload the ERP refuses down the catch path', async () => {
    // No network here: the ERP call fails, the catch path logs it, then its own call fails too.
    const { outcome, journal } = await runExample('try_catch.json', Payload.fromValue({ ref: 'A1' }, 'json'));
    expect(outcome.status).toBe('failure');
    expect(journal.entries.map((e) => [e.stepId, e.status])).toEqual([
      ['trigger', 'success'],
      ['guard', 'success'],
      ['to_erp', 'failure'],
      ['log_failure', 'success'],
      ['to_holding', 'failure'],
    ]);
    expect(journal.logs.some((l) => l.level === 'error' && l.message.startsWith('to_erp failed: '))).toBe(true);
  });
});
