import { type Static, Type } from '@sinclair/typebox';

export const TRY_CATCH_ON_ERROR = ['partial_success', 'fail'] as const;
export type TryCatchOnError = (typeof TRY_CATCH_ON_ERROR)[number];

/**
 * Config of the `try_catch` shape: payloads that fail anywhere on the `try` path go down the
 * `catch` path; the run then ends `partial_success`, or `failure` with `on_error: fail`.
 */
export const TryCatchConfigSchema = Type.Object(
  {
    on_error: Type.Optional(
      Type.Union(
        TRY_CATCH_ON_ERROR.map((o) => Type.Literal(o)),
        {
          default: 'partial_success',
          description: 'How the run ends once a failure was caught: `partial_success`, or `fail` after the catch path ran.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export type TryCatchConfig = Static<typeof TryCatchConfigSchema>;
