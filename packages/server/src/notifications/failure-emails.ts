import { triggerConfigOf } from '../store/trigger-config.js';
import type { Run, Store } from '../store/types.js';
import type { Mailer } from './mailer.js';

export interface FailureEmailDeps {
  store: Store;
  /** Undefined when the server has no SMTP settings: the emails are skipped with a log line. */
  mailer: Mailer | undefined;
  log(message: string, extra?: Record<string, unknown>): void;
}

/** The groups a flow's trigger names in `notify_on_failure`; anything not a string is ignored. */
export function failureGroupsOf(definition: Parameters<typeof triggerConfigOf>[0]): string[] {
  const groups = (triggerConfigOf(definition) as { notify_on_failure?: unknown }).notify_on_failure;
  return Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string' && g !== '') : [];
}

/**
 * Emails the groups named by the failed run's version (trigger setting `notify_on_failure`).
 * Called once per run by the worker that finished it (finishRun answered true, so exactly one
 * process does). Never throws: a mail problem is logged and changes nothing about the run.
 */
export async function sendRunFailureEmails(deps: FailureEmailDeps, run: Run, error: string | undefined): Promise<void> {
  try {
    const version = await deps.store.getVersion(run.companyId, run.versionId);
    const groups = version === undefined ? [] : failureGroupsOf(version.definition);
    if (groups.length === 0) return;
    if (deps.mailer === undefined) {
      deps.log('run failure emails skipped: no SMTP settings (WEFT_SMTP_URL)', { runId: run.id, groups });
      return;
    }
    const flow = await deps.store.getFlow(run.companyId, run.flowId);
    const flowName = flow?.name ?? run.flowId;
    const subject = `Weft: run of "${flowName}" failed`;
    const text = [
      `The run ${run.id} of the flow "${flowName}" (version ${version?.number ?? '?'}) failed.`,
      '',
      `Error: ${error ?? 'unknown'}`,
      `Trigger: ${run.trigger}`,
      `Queued at: ${run.queuedAt}`,
      '',
      `Its log: GET /api/v1/flow-runs/${run.id}/flow-run-logs`,
    ].join('\n');
    for (const name of groups) {
      const group = await deps.store.findNotificationGroup(run.companyId, name);
      if (group === undefined) {
        deps.log('run failure email skipped: unknown notification group', { runId: run.id, group: name });
        continue;
      }
      if (group.emails.length === 0) continue;
      try {
        await deps.mailer.send({ to: group.emails, subject, text });
      } catch (err) {
        deps.log('run failure email not sent', { runId: run.id, group: name, err: String(err) });
      }
    }
  } catch (err) {
    deps.log('run failure emails failed', { runId: run.id, err: String(err) });
  }
}
