import type { FlowDefinition } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../payload.js';
import type { EngineServices } from '../services.js';
import type { Shape } from '../shape.js';
import { executeRun } from './execute-run.js';
import type { StepWrite } from './journal.js';
import { MemoryJournal } from './memory-journal.js';

const services: EngineServices = {
  http: { request: () => Promise.reject(new Error('no http in these tests')), close: async () => {} },
  now: () => new Date(),
  sleep: async () => {},
};

/** `pass` forwards its input; `drop` outputs nothing; `route` sends its input down the label in config.route. */
const shapes = new Map<string, Shape<any>>([
  ['trigger', { name: 'trigger', execute: async (_ctx, input) => ({ payloads: input }) }],
  ['pass', { name: 'pass', execute: async (_ctx, input) => ({ payloads: input.map((p) => Payload.fromBytes(p.bytes(), p.format)) }) }],
  ['drop', { name: 'drop', execute: async () => ({ payloads: [] }) }],
  [
    'route',
    {
      name: 'route',
      execute: async (ctx, input) => ({ payloads: [], routes: { [ctx.config.route as string]: input } }),
    },
  ],
]);

/** A journal that remembers which writes were marked final. */
class FinalJournal extends MemoryJournal {
  readonly finals: Array<[string, boolean]> = [];
  override async recordStep(write: StepWrite): Promise<void> {
    this.finals.push([write.itemKey, write.final === true]);
    await super.recordStep(write);
  }
}

async function finals(definition: FlowDefinition): Promise<Array<[string, boolean]>> {
  const journal = new FinalJournal();
  const outcome = await executeRun({
    run: { id: 'r1', companyId: 'c1', flowId: 'f1', versionId: 'v1', trigger: 'api', queuedAt: new Date().toISOString() },
    definition,
    input: Payload.fromBytes(Buffer.from('in'), 'text'),
    variables: {},
    journal,
    services,
    shapes,
    retryBaseMs: 1,
  });
  expect(outcome.status).toBe('success');
  return journal.finals;
}

const step = (id: string, shape: string, config: Record<string, unknown> = {}) => ({ id, shape, config });

describe('the final mark on a step write (lets the worker commit the last step with the run end)', () => {
  it('marks only the last step of a straight flow', async () => {
    expect(
      await finals({
        steps: [step('trigger', 'trigger'), step('a', 'pass'), step('b', 'pass')],
        edges: [
          { from: 'trigger', to: 'a' },
          { from: 'a', to: 'b' },
        ],
      }),
    ).toEqual([
      ['trigger', false],
      ['trigger>a', false],
      ['trigger>a>b', true],
    ]);
  });

  it('marks a trigger that has no steps after it', async () => {
    expect(await finals({ steps: [step('trigger', 'trigger')], edges: [] })).toEqual([['trigger', true]]);
  });

  it('marks a step whose outputs go nowhere although it has edges', async () => {
    expect(
      await finals({
        steps: [step('trigger', 'trigger'), step('a', 'drop'), step('b', 'pass')],
        edges: [
          { from: 'trigger', to: 'a' },
          { from: 'a', to: 'b' },
        ],
      }),
    ).toEqual([
      ['trigger', false],
      ['trigger>a', true],
    ]);
  });

  it('does not mark the end of the first of two branches: the second still runs', async () => {
    expect(
      await finals({
        steps: [step('trigger', 'trigger'), step('a', 'pass'), step('b', 'pass')],
        edges: [
          { from: 'trigger', to: 'a' },
          { from: 'trigger', to: 'b' },
        ],
      }),
    ).toEqual([
      ['trigger', false],
      ['trigger>a', false],
      ['trigger>b', true],
    ]);
  });

  it('follows only the labels that carry payloads', async () => {
    expect(
      await finals({
        steps: [step('trigger', 'trigger'), step('r', 'route', { route: 'yes' }), step('y', 'pass'), step('n', 'pass')],
        edges: [
          { from: 'trigger', to: 'r' },
          { from: 'r', to: 'y', label: 'yes' },
          { from: 'r', to: 'n', label: 'no' },
        ],
      }),
    ).toEqual([
      ['trigger', false],
      ['trigger>r', false],
      ['trigger>r>y', true],
    ]);
  });
});
