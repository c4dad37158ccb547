import type { RunStatus } from '@weft/schema';
import type { JournalWrite } from './types.js';

/** A run's last step and its end, written together. */
export interface FinalStepStoreMethods {
  /**
   * recordStep of the run's last step and then finishRun, in one transaction where the adapter can
   * (SQLite); the step always commits no later than the end, so a finished run never lacks its
   * last step. `ids` as recordStep answers; `finished` as finishRun answers.
   */
  recordFinalStep(
    runId: string,
    companyId: string,
    write: JournalWrite,
    owner: string,
    outcome: { status: RunStatus; error?: string },
  ): Promise<{ ids: Record<string, string[]>; finished: boolean }>;
}
