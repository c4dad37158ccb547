import { AppError, type RunStatus, TERMINAL_RUN_STATUSES } from '@weft/schema';
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

/** finishRun and recordFinalStep take terminal statuses only; anything else is a bug in the caller. */
export function assertTerminal(status: RunStatus, method: 'finishRun' | 'recordFinalStep'): void {
  if (!TERMINAL_RUN_STATUSES.includes(status)) throw new AppError('INTERNAL', `${method} needs a terminal status, got "${status}".`);
}
