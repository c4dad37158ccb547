import { type Static, Type } from '@sinclair/typebox';

// Only the outline of a cron string: five fields of the characters cron uses. The scheduler
// parses it properly; this catches the common slip of a 6-field (seconds) expression.
const CRON_FIELD = '[0-9A-Za-z*/,?#-]+';
export const CRON_PATTERN = `^\\s*${CRON_FIELD}(\\s+${CRON_FIELD}){4}\\s*$`;

const WebhookSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    hmac_secret: Type.Optional(Type.String({ description: 'When set, requests must carry a valid HMAC-SHA256 signature.' })),
    response: Type.Optional(
      Type.Object({
        status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
        body: Type.Optional(Type.String()),
        format: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'Webhook settings; loose until the webhook trigger is built.' },
);

const CallbackSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    content_type: Type.Optional(Type.String()),
  },
  { description: 'Callback settings; loose until the callback trigger is built.' },
);

/** Config of the `trigger` shape: how runs of the flow start besides the API (spec/flows.md §5). */
export const TriggerConfigSchema = Type.Object(
  {
    schedules: Type.Optional(
      Type.Array(
        Type.String({
          pattern: CRON_PATTERN,
          errorMessage: 'must be a cron expression of 5 fields (minute hour day-of-month month day-of-week, UTC), e.g. "0 6 * * *"',
        }),
        { description: 'Cron expressions (UTC); each tick starts one run.' },
      ),
    ),
    webhook: Type.Optional(WebhookSchema),
    callback: Type.Optional(CallbackSchema),
  },
  { additionalProperties: false },
);

export type TriggerConfig = Static<typeof TriggerConfigSchema>;
