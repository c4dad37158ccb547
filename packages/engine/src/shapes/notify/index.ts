import { AppError, isAppError, type LogLevel, type NotifyConfig, type NotifyLevel } from '@weft/schema';
import type { Payload } from '../../payload.js';
import { payloadPosition } from '../../records/index.js';
import type { Shape } from '../../shape.js';
import { renderTemplate, runTemplateScope } from '../../templates/index.js';

/** A bucket of thousands must not flood the run log; past this, one line says how many were left out. */
export const MAX_NOTIFICATIONS_LOGGED = 100;

// The run log has no `success` level; the notification's own level travels in the entry's data.
const LOG_LEVEL: Readonly<Record<NotifyLevel, LogLevel>> = { success: 'info', info: 'info', warning: 'warning', error: 'error' };

/**
 * The `notify` shape (spec/flows.md §3) with channel `log`: renders `template` once per payload
 * and writes it to the run log at `level`. Payloads pass on unchanged. Email (`email`, `both`)
 * needs SMTP settings and is refused until they exist.
 */
export const notifyShape: Shape<NotifyConfig> = {
  name: 'notify',
  async execute(ctx, input) {
    const { template, level = 'info', channel = 'log' } = ctx.config;
    if (channel !== 'log') {
      throw new AppError(
        'FLOW_INVALID',
        `channel "${channel}" sends email, which needs SMTP settings this server does not support yet; use "log"`,
      );
    }
    const run = runTemplateScope(ctx.run);
    const messageFor = (payload: Payload | undefined, position: string) => {
      try {
        return renderTemplate(template, {
          meta: payload?.meta ?? {},
          flow: ctx.variables,
          run,
          ...(payload === undefined ? {} : { payload: () => payload.value() }),
        });
      } catch (err) {
        if (!isAppError(err)) throw err;
        throw new AppError(err.code, `template (${position}): ${err.message}`, { cause: err });
      }
    };
    const targets: (Payload | undefined)[] = input.length === 0 ? [undefined] : input;
    // Rendered for every payload, logged or not, so a template that fails on a later payload
    // fails the step whatever the bucket size.
    const messages = targets.map((payload, index) => messageFor(payload, payloadPosition(index, targets.length)));
    for (const message of messages.slice(0, MAX_NOTIFICATIONS_LOGGED)) {
      ctx.log({ level: LOG_LEVEL[level], message, data: { notify: level } });
    }
    if (messages.length > MAX_NOTIFICATIONS_LOGGED) {
      ctx.log({
        level: 'info',
        message: `notify: ${messages.length - MAX_NOTIFICATIONS_LOGGED} more notifications not logged (at most ${MAX_NOTIFICATIONS_LOGGED} per step)`,
      });
    }
    return { payloads: input };
  },
};
