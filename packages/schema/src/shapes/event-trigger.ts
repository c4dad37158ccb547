import { type Static, Type } from '@sinclair/typebox';

/**
 * A broker event trigger (spec/flows.md §5): the server consumes a RabbitMQ queue and starts one
 * run per message. The URL carries no credentials; they come from an instance (its `basic`
 * username and password, encrypted at rest like every instance credential).
 */
export const EventTriggerSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Default true; false keeps the settings but consumes nothing.' })),
    url: Type.String({
      pattern: '^amqps?://[^/@\\s]+(/[^\\s]*)?$',
      maxLength: 2000,
      errorMessage:
        'must be an amqp:// or amqps:// URL without user or password (host, port, optional vhost), e.g. "amqp://rabbit.example.com:5672/%2F"',
      description: 'The broker: amqp(s)://host:port/vhost, without credentials.',
    }),
    instance: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'An instance whose basic credentials (username, password) log in to the broker.',
      }),
    ),
    queue: Type.String({ minLength: 1, maxLength: 255, description: 'The queue to consume; it must exist.' }),
    prefetch: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Unacknowledged messages at a time (default 10).' })),
    dead_letter_queue: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description:
          "Where malformed messages go (published, then acknowledged); without it they are rejected, so the queue's own dead-letter exchange applies.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type EventTriggerConfig = Static<typeof EventTriggerSchema>;
