import type { PayloadFormat, RunStatus } from '@weft/schema';
import type { Payload } from '../../payload.js';
import type { RunInfo } from '../../shape.js';

/** A child run as a `run_flow` step sees it. */
export interface ChildRun {
  id: string;
  flowId: string;
  status: RunStatus;
  error: string | null;
  /** When the child was created: the wait for children is measured from the first one, across resumes. */
  queuedAt: string;
}

export interface StartChildInput {
  parent: RunInfo;
  /** The flow to start: its id, or its name within the company. */
  flow: string;
  /** A version number of that flow; absent = its deployed version. */
  version?: number;
  payload: { format: PayloadFormat; meta: Record<string, string>; body: Buffer };
  /** Derived from parent run, step item key and payload index: starting twice returns the first child. */
  idempotencyKey: string;
}

/**
 * Starts and watches the child runs of `run_flow` steps. The server implements it with the same
 * path as the start API (durable, idempotent, queued); the engine never sees the store.
 */
export interface ChildRuns {
  /**
   * Starts (or, for a known idempotency key, finds) a child run with trigger `shape`, linked to its
   * parent. Throws AppError NOT_FOUND (unknown flow or version, no deployed version), FLOW_DISABLED
   * and RUN_FLOW_CYCLE (the flow is the parent's own or one of its ancestors', or too deep).
   */
  start(input: StartChildInput): Promise<ChildRun>;
  /** Every child run of this parent, oldest first (one read however many children). */
  children(parent: RunInfo): Promise<ChildRun[]>;
  /** A finished child's final payloads: the outputs of its last steps, in journal order. */
  outputs(companyId: string, runId: string): Promise<Payload[]>;
}
