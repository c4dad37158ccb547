import type { PayloadFormat } from '@weft/schema';

/**
 * One document flowing between steps: bytes + format + meta (spec/flows.md §2).
 *
 * A payload keeps whichever representation it was made from and derives the other on demand,
 * so a map step that hands its output to the next map step does not serialise and re-parse
 * in between; the bytes are produced once, when the journal stores them.
 */
export class Payload {
  /** Set once the payload is stored, so the journal does not store it twice. */
  id: string | undefined;
  readonly format: PayloadFormat;
  readonly meta: Record<string, string>;
  #bytes: Buffer | undefined;
  #value: unknown;
  #hasValue: boolean;

  private constructor(format: PayloadFormat, meta: Record<string, string>, bytes: Buffer | undefined, value: unknown, hasValue: boolean) {
    this.format = format;
    this.meta = meta;
    this.#bytes = bytes;
    this.#value = value;
    this.#hasValue = hasValue;
    this.id = undefined;
  }

  static fromBytes(bytes: Buffer, format: PayloadFormat, meta: Record<string, string> = {}, id?: string): Payload {
    const p = new Payload(format, meta, bytes, undefined, false);
    p.id = id;
    return p;
  }

  /** A structured value (for JSON, any JSON value; for csv an array of row objects; for xml the parsed tree; for text a string). */
  static fromValue(value: unknown, format: PayloadFormat, meta: Record<string, string> = {}): Payload {
    return new Payload(format, meta, undefined, value, true);
  }

  static empty(meta: Record<string, string> = {}): Payload {
    return new Payload('text', meta, Buffer.alloc(0), '', true);
  }

  get isEmpty(): boolean {
    return this.#bytes !== undefined ? this.#bytes.length === 0 : this.#hasValue && (this.#value === '' || this.#value === undefined);
  }

  bytes(): Buffer {
    if (this.#bytes === undefined) this.#bytes = serialise(this.#value, this.format);
    return this.#bytes;
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  /** The parsed value; parses once and remembers it. Throws AppError PAYLOAD_FORMAT_ERROR when the bytes do not parse. */
  value(): unknown {
    if (!this.#hasValue) {
      this.#value = parse(this.bytes(), this.format);
      this.#hasValue = true;
    }
    return this.#value;
  }

  withMeta(meta: Record<string, string>): Payload {
    const p = this.#hasValue ? Payload.fromValue(this.#value, this.format, meta) : Payload.fromBytes(this.bytes(), this.format, meta);
    if (this.#bytes !== undefined && this.#hasValue) p.#bytes = this.#bytes;
    return p;
  }
}

/** Format codecs are registered by formats/, so this file stays free of parser imports. */
export interface FormatCodec {
  parse(bytes: Buffer): unknown;
  serialise(value: unknown): Buffer;
}

const codecs = new Map<PayloadFormat, FormatCodec>();

export function registerFormat(format: PayloadFormat, codec: FormatCodec): void {
  codecs.set(format, codec);
}

function codecFor(format: PayloadFormat): FormatCodec {
  const codec = codecs.get(format);
  if (!codec) throw new Error(`no codec registered for format ${format}`);
  return codec;
}

function parse(bytes: Buffer, format: PayloadFormat): unknown {
  return codecFor(format).parse(bytes);
}

function serialise(value: unknown, format: PayloadFormat): Buffer {
  return codecFor(format).serialise(value);
}
