import type { LogLevel } from '@weft/schema';
import type { Payload } from '../payload.js';

/** One completed step execution as the journal holds it. */
export interface JournalEntry {
  itemKey: string;
  stepId: string;
  status: 'success' | 'failure';
  /** Output payload ids per outgoing edge label; '' is the unlabelled bucket. */
  outputs: Record<string, string[]>;
  variables: Record<string, string>;
  attempts: number;
}

export interface LogEntry {
  stepId: string | null;
  stepName: string | null;
  level: LogLevel;
  message: string;
  attempt: number | null;
  durationMs: number | null;
  payloadIdsIn: string[];
  payloadIdsOut: string[];
  data: Record<string, unknown> | null;
}

export interface StepWrite {
  itemKey: string;
  stepId: string;
  status: 'success' | 'failure';
  outputs: Record<string, Payload[]>;
  variables: Record<string, string>;
  attempts: number;
  startedAt: string;
  finishedAt: string;
  logs: LogEntry[];
  /** The log entry (index into logs) that should list the output payload ids once they are assigned. */
  outputsLogIndex?: number;
  /**
   * Set on a successful step after which nothing of the run executes (no work is waiting and no
   * outgoing edge carries a payload). The port may then commit the record together with the
   * run's end, in one transaction, instead of on its own.
   */
  final?: boolean;
}

/**
 * The engine's only way to persist: the worker implements it over the store. recordStep must be
 * atomic (payloads + journal entry + logs) and must assign ids to the payloads it stores.
 */
export interface RunJournalPort {
  load(): Promise<JournalEntry[]>;
  loadPayloads(ids: string[]): Promise<Payload[]>;
  recordStep(write: StepWrite): Promise<void>;
  appendLogs(logs: LogEntry[]): Promise<void>;
  /** Whether a stop was requested; checked at every step boundary. */
  shouldStop(): Promise<boolean>;
}
