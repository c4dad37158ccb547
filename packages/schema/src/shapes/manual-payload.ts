import { type Static, Type } from '@sinclair/typebox';
import { PAYLOAD_FORMATS } from '../flow.js';

export const MANUAL_PAYLOAD_MAX_CHARS = 100_000;

/** Config of the `manual_payload` shape: the fixed document that replaces the data at that point. */
export const ManualPayloadConfigSchema = Type.Object(
  {
    body: Type.String({ maxLength: MANUAL_PAYLOAD_MAX_CHARS, description: 'The document, written in `format`.' }),
    format: Type.Union(
      PAYLOAD_FORMATS.map((f) => Type.Literal(f)),
      {
        description: 'How the body is read: json, xml, csv or text.',
      },
    ),
  },
  { additionalProperties: false },
);

export type ManualPayloadConfig = Static<typeof ManualPayloadConfigSchema>;
