import { AppError, isAppError, type ManualPayloadConfig } from '@weft/schema';
import { csvCodec, jsonCodec, textCodec, xmlCodec } from '../../formats/index.js';
import { Payload } from '../../payload.js';
import type { Shape } from '../../shape.js';

const CODECS = { json: jsonCodec, xml: xmlCodec, csv: csvCodec, text: textCodec } as const;

// The body is parsed once per config to prove it is a document of its format; every run then
// gets a fresh payload over the same bytes, never a shared parsed value another step could change.
const checkedBodies = new WeakMap<object, Buffer | AppError>();

function bodyBytes(config: ManualPayloadConfig): Buffer {
  let entry = checkedBodies.get(config);
  if (entry === undefined) {
    entry = check(config);
    checkedBodies.set(config, entry);
  }
  if (entry instanceof AppError) throw entry;
  return entry;
}

function check(config: ManualPayloadConfig): Buffer | AppError {
  const codec = Object.hasOwn(CODECS, config.format) ? CODECS[config.format] : undefined;
  if (codec === undefined)
    return new AppError('PAYLOAD_FORMAT_ERROR', `format must be one of json, xml, csv, text, got ${JSON.stringify(config.format)}`);
  if (typeof config.body !== 'string') return new AppError('PAYLOAD_FORMAT_ERROR', 'body must be a string');
  const bytes = Buffer.from(config.body, 'utf8');
  try {
    codec.parse(bytes);
  } catch (err) {
    if (isAppError(err)) return new AppError(err.code, `body: ${err.message}`, { cause: err });
    return new AppError('PAYLOAD_FORMAT_ERROR', `body: ${String(err)}`, { cause: err });
  }
  return bytes;
}

/**
 * The `manual_payload` shape: replaces the data at that point with one fixed document, once per
 * incoming bucket (an empty bucket too). The first incoming payload's meta carries on.
 */
export const manualPayloadShape: Shape<ManualPayloadConfig> = {
  name: 'manual_payload',
  async execute(ctx, input) {
    const bytes = bodyBytes(ctx.config);
    // A copy per run: payload bytes are treated as immutable, but one careless writer must not
    // change the document every later run starts from.
    return { payloads: [Payload.fromBytes(Buffer.from(bytes), ctx.config.format, input[0]?.meta ?? {})] };
  },
};
