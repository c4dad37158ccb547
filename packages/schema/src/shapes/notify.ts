import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';

export const NOTIFY_LEVELS = ['success', 'info', 'warning', 'error'] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];
export const NOTIFY_CHANNELS = ['log', 'email', 'both'] as const;
export const NOTIFY_TEMPLATE_MAX_CHARS = 10_000;
export const NOTIFY_SUBJECT_MAX_CHARS = 500;

/** Config of the `notify` shape: a message to the run log and/or a notification group. */
export const NotifyConfigSchema = Type.Object(
  {
    level: Type.Optional(
      Type.Union(
        NOTIFY_LEVELS.map((l) => Type.Literal(l)),
        { default: 'info' },
      ),
    ),
    channel: Type.Optional(
      Type.Union(
        NOTIFY_CHANNELS.map((c) => Type.Literal(c)),
        { default: 'log', description: '`log` writes to the run log; `email` and `both` need SMTP settings.' },
      ),
    ),
    group: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The notification group (its name) that receives the email.' }),
    ),
    subject: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: NOTIFY_SUBJECT_MAX_CHARS,
        description: 'The email subject; may hold [[...]] templates. Default: "Weft <level>: <step name>".',
      }),
    ),
    template: Type.String({
      minLength: 1,
      maxLength: NOTIFY_TEMPLATE_MAX_CHARS,
      description: 'The message; may hold [[...]] templates, rendered per payload.',
    }),
  },
  { additionalProperties: false },
);

export type NotifyConfig = Static<typeof NotifyConfigSchema>;

export function notifyConfigProblems(config: NotifyConfig): ConfigProblem[] {
  const channel = config.channel ?? 'log';
  if (channel === 'log') {
    if (config.group !== undefined || config.subject !== undefined) {
      const path = config.group !== undefined ? 'group' : 'subject';
      return [{ path, message: `is only used by the channels "email" and "both"; remove it or set channel to "email" or "both"` }];
    }
    return [];
  }
  if (config.group === undefined) {
    return [{ path: 'group', message: `is required with channel "${channel}": name the notification group that receives the email` }];
  }
  return [];
}
