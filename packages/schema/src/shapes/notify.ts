import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';

export const NOTIFY_LEVELS = ['success', 'info', 'warning', 'error'] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];
export const NOTIFY_CHANNELS = ['log', 'email', 'both'] as const;
export const NOTIFY_TEMPLATE_MAX_CHARS = 10_000;

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
    group: Type.Optional(Type.String({ minLength: 1, description: 'The notification group that receives emails.' })),
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
  if (channel === 'log') return [];
  return [
    {
      path: 'channel',
      message: `"${channel}" sends email, which needs SMTP settings (WEFT_SMTP_URL) this server does not support yet; use "log"`,
    },
  ];
}
