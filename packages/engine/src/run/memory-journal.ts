import { Payload } from '../payload.js';
import type { JournalEntry, LogEntry, RunJournalPort, StepWrite } from './journal.js';

/**
 * A journal kept in memory: the engine's unit tests use it to look inside a run without a
 * database. The server's journal is the store; this is never used outside tests and benchmarks.
 */
export class MemoryJournal implements RunJournalPort {
  readonly entries: JournalEntry[] = [];
  readonly logs: LogEntry[] = [];
  readonly payloads = new Map<string, Payload>();
  stopRequested = false;
  #nextId = 1;

  async load(): Promise<JournalEntry[]> {
    return this.entries.map((e) => ({ ...e }));
  }

  async loadPayloads(ids: string[]): Promise<Payload[]> {
    return ids.map((id) => {
      const p = this.payloads.get(id);
      if (!p) throw new Error(`payload ${id} not in journal`);
      return Payload.fromBytes(p.bytes(), p.format, p.meta, id);
    });
  }

  async recordStep(write: StepWrite): Promise<void> {
    const outputs: Record<string, string[]> = {};
    for (const [label, bucket] of Object.entries(write.outputs)) {
      outputs[label] = bucket.map((p) => {
        if (!p.id) {
          p.id = `p${this.#nextId++}`;
          this.payloads.set(p.id, Payload.fromBytes(p.bytes(), p.format, p.meta, p.id));
        }
        return p.id;
      });
    }
    this.entries.push({
      itemKey: write.itemKey,
      stepId: write.stepId,
      status: write.status,
      outputs,
      variables: write.variables,
      attempts: write.attempts,
    });
    this.logs.push(...write.logs);
  }

  async appendLogs(logs: LogEntry[]): Promise<void> {
    this.logs.push(...logs);
  }

  async shouldStop(): Promise<boolean> {
    return this.stopRequested;
  }
}
