import { AppError, isAppError, type LogLevel, type NotifyConfig, type NotifyLevel } from '@weft/schema';
import type { Payload } from '../../payload.js';
import { payloadPosition } from '../../records/index.js';
import type { Shape, ShapeContext } from '../../shape.js';
import { renderTemplate, runTemplateScope } from '../../templates/index.js';

/** A bucket of thousands must not flood the run log; past this, one line says how many were left out. */
export const MAX_NOTIFICATIONS_LOGGED = 100;

// The run log has no `success` level; the notification's own level travels in the entry's data.
const LOG_LEVEL: Readonly<Record<NotifyLevel, LogLevel>> = { success: 'info', info: 'info', warning: 'warning', error: 'error' };

/**
 * The `notify` shape (spec/flows.md §3): renders `template` once per payload; channel `log` writes
 * each message to the run log at `level`, `email` sends one email per step execution to the
 * notification group `group` (subject from `subject`, the messages as its body, one per payload),
 * `both` does the two. Payloads pass on unchanged. Email needs the server's SMTP settings: without
 * them the step fails with SMTP_NOT_CONFIGURED.
 */
export const notifyShape: Shape<NotifyConfig> = {
  name: 'notify',
  async execute(ctx, input) {
    const { template, level = 'info', channel = 'log' } = ctx.config;
    const email = ctx.services.email;
    if (channel !== 'log' && email === undefined) {
      throw new AppError(
        'SMTP_NOT_CONFIGURED',
        `channel "${channel}" sends email, but this server has no SMTP settings; set WEFT_SMTP_URL and WEFT_SMTP_FROM, or use channel "log"`,
        { retryable: false },
      );
    }
    const run = runTemplateScope(ctx.run);
    const render = (text: string, field: string, payload: Payload | undefined, position: string) => {
      try {
        return renderTemplate(text, {
          meta: payload?.meta ?? {},
          flow: ctx.variables,
          run,
          ...(payload === undefined ? {} : { payload: () => payload.value() }),
        });
      } catch (err) {
        if (!isAppError(err)) throw err;
        throw new AppError(err.code, `${field} (${position}): ${err.message}`, { cause: err });
      }
    };
    const messageFor = (payload: Payload | undefined, position: string) => render(template, 'template', payload, position);
    const targets: (Payload | undefined)[] = input.length === 0 ? [undefined] : input;
    // Rendered for every payload, logged or not, so a template that fails on a later payload
    // fails the step whatever the bucket size.
    const messages = targets.map((payload, index) => messageFor(payload, payloadPosition(index, targets.length)));
    if (channel !== 'email') writeToLog(ctx, level, messages);
    if (channel !== 'log' && email !== undefined) {
      const group = ctx.config.group ?? '';
      const first = targets[0];
      const subject = ctx.config.subject
        ? render(ctx.config.subject, 'subject', first, payloadPosition(0, targets.length))
        : `Weft ${level}: ${ctx.step.name ?? ctx.step.id}`;
      const { recipients } = await email.sendToGroup(ctx.run.companyId, group, { subject, text: emailBody(messages) });
      ctx.log({
        level: 'info',
        message: `notify: emailed notification group "${group}" (${recipients.length} recipient${recipients.length === 1 ? '' : 's'})`,
        data: { notify: level, group, recipients: recipients.length },
      });
    }
    return { payloads: input };
  },
};

function writeToLog(ctx: ShapeContext<NotifyConfig>, level: NotifyLevel, messages: readonly string[]): void {
  for (const message of messages.slice(0, MAX_NOTIFICATIONS_LOGGED)) {
    ctx.log({ level: LOG_LEVEL[level], message, data: { notify: level } });
  }
  if (messages.length > MAX_NOTIFICATIONS_LOGGED) {
    ctx.log({
      level: 'info',
      message: `notify: ${messages.length - MAX_NOTIFICATIONS_LOGGED} more notifications not logged (at most ${MAX_NOTIFICATIONS_LOGGED} per step)`,
    });
  }
}

/** One message per payload, a blank line between; a huge bucket is cut like the log, with a count of the rest. */
function emailBody(messages: readonly string[]): string {
  const shown = messages.slice(0, MAX_NOTIFICATIONS_LOGGED).join('\n\n');
  const rest = messages.length - MAX_NOTIFICATIONS_LOGGED;
  return rest > 0 ? `${shown}\n\n(${rest} more messages not included; at most ${MAX_NOTIFICATIONS_LOGGED} per email)` : shown;
}
