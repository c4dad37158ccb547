import { type Static, Type } from '@sinclair/typebox';
import { EventTriggerSchema } from './event-trigger.js';

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

/** How long a callback request waits for the run's first `callback` step at most. */
export const CALLBACK_TIMEOUT_MAX_SECONDS = 300;
export const CALLBACK_TIMEOUT_DEFAULT_SECONDS = 30;

const CallbackSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Answers requests to /api/v1/callbacks/{companyId}/{flowId}.' })),
    content_type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "The answer's Content-Type when the callback step sets none; default from the payload's format.",
      }),
    ),
    timeout_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: CALLBACK_TIMEOUT_MAX_SECONDS,
        description: `How long the request waits for the first callback step (default ${CALLBACK_TIMEOUT_DEFAULT_SECONDS}); then 504, the run goes on.`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "Callback settings: the request waits for the run's first `callback` step and gets its output.",
  },
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
    event: Type.Optional(EventTriggerSchema),
    notify_on_failure: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 20,
        uniqueItems: true,
        description: 'Notification groups (names) emailed once when a run of this flow fails; needs WEFT_SMTP_URL.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type TriggerConfig = Static<typeof TriggerConfigSchema>;
