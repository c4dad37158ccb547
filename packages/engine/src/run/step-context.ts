import type { StepDefinition } from '@weft/schema';
import type { EngineServices } from '../services.js';
import type { RunInfo, ShapeContext, StepLog } from '../shape.js';

type Fields = Omit<ShapeContext, 'signal' | 'config'> & { config: unknown };

/**
 * What a shape's execute gets for one attempt. The attempt's AbortSignal is made only when the
 * shape reads `signal` (map, filter and most shapes never do). A class, because the lazy getter
 * must live on a shared prototype: an object literal with a getter of its own gets a hidden class
 * of its own per step, and under load those cost ~50 MB of RSS (measured with the bench).
 */
export class StepContext implements ShapeContext<unknown> {
  readonly step: StepDefinition;
  readonly config: unknown;
  readonly run: RunInfo;
  readonly variables: Record<string, string>;
  readonly attempt: number;
  readonly itemKey: string;
  readonly log: (entry: StepLog) => void;
  readonly services: EngineServices;
  readonly #signal: () => AbortSignal;

  constructor(fields: Fields, signal: () => AbortSignal) {
    this.step = fields.step;
    this.config = fields.config;
    this.run = fields.run;
    this.variables = fields.variables;
    this.attempt = fields.attempt;
    this.itemKey = fields.itemKey;
    this.log = fields.log;
    this.services = fields.services;
    this.#signal = signal;
  }

  get signal(): AbortSignal {
    return this.#signal();
  }
}
