import type { LogLevel, RunTrigger, StepDefinition } from '@weft/schema';
import type { Payload } from './payload.js';
import type { EngineServices } from './services.js';

/** What a shape knows about the run it is part of. */
export interface RunInfo {
  id: string;
  companyId: string;
  flowId: string;
  versionId: string;
  trigger: RunTrigger;
  queuedAt: string;
}

export interface StepLog {
  level: LogLevel;
  message: string;
  data?: Record<string, unknown>;
}

/** Everything a shape may use while it runs one step; shapes never reach outside it. */
export interface ShapeContext<C = Record<string, unknown>> {
  step: StepDefinition;
  config: C;
  run: RunInfo;
  /** Flow variables as they stand at this step (definition defaults, run overrides, set_variables). */
  variables: Record<string, string>;
  /** 1 for the first try. */
  attempt: number;
  /** Stable key of this step execution within the run, the same on every attempt and after a resume. */
  itemKey: string;
  signal: AbortSignal;
  log(entry: StepLog): void;
  services: EngineServices;
}

export interface ShapeResult {
  /** The bucket handed to every unlabelled outgoing edge. */
  payloads: Payload[];
  /** For shapes with labelled edges (route, branch, try_catch): the bucket per label. */
  routes?: Record<string, Payload[]>;
  /** Variables to set for the rest of the run. */
  variables?: Record<string, string>;
}

/**
 * A shape's executor. It receives the whole bucket of its predecessor and emits a bucket.
 * It throws an AppError to fail the attempt; `retryable` on the error decides whether the
 * engine tries again.
 */
export interface Shape<C = Record<string, unknown>> {
  readonly name: string;
  /** Default attempts after the first (spec: 3, connector 0-2 from its config). */
  retries?(config: C): number;
  /** Time limit of one attempt. */
  timeoutMs?(config: C): number;
  execute(ctx: ShapeContext<C>, input: Payload[]): Promise<ShapeResult>;
}
