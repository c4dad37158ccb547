import { type Static, Type } from '@sinclair/typebox';

/** Config of the `callback` shape: its input answers the waiting callback request and passes on. */
export const CallbackConfigSchema = Type.Object(
  {
    status: Type.Optional(
      Type.Integer({ minimum: 200, maximum: 599, default: 200, description: 'HTTP status of the answer (default 200).' }),
    ),
    content_type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\\s*;.*)?$',
        errorMessage: 'must be a media type like "application/json" or "text/plain; charset=utf-8"',
        description: "Content-Type of the answer; default the trigger's callback.content_type, else from the payload's format.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type CallbackConfig = Static<typeof CallbackConfigSchema>;
