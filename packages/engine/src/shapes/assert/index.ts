import { AppError, type AssertConfig, type FieldErrors, isAppError, type PayloadFormat } from '@weft/schema';
import { csvCodec, xmlCodec } from '../../formats/index.js';
import { type CompiledPath, compilePath, type PathSegment } from '../../paths/index.js';
import { payloadPosition } from '../../records/index.js';
import type { Shape } from '../../shape.js';

/** How many differences a failure lists; the rest are counted. */
export const MAX_DIFFERENCES_SHOWN = 10;
const MAX_VALUE_CHARS = 80;

interface Difference {
  path: string;
  message: string;
}

/**
 * The `assert` shape (spec/flows.md §3): each payload must equal `expected`, apart from
 * `ignore_paths`, or the step fails (never retried: the data will not change) with the first
 * differences, e.g. `orders[1].total: expected 12.5, got 13`. Key order does not matter; types
 * do (1 is not "1"). For an XML or CSV payload, `expected` may be written in that format as a
 * string. Payloads pass on unchanged.
 */
export const assertShape: Shape<AssertConfig> = {
  name: 'assert',
  retries: () => 0,
  async execute(ctx, input) {
    const ignore = (ctx.config.ignore_paths ?? []).map((p) => compilePath(p));
    for (const [index, payload] of input.entries()) {
      const position = payloadPosition(index, input.length);
      let actual: unknown;
      try {
        actual = payload.value();
      } catch (err) {
        if (!isAppError(err)) throw err;
        throw new AppError(err.code, `assert: ${position}: ${err.message}`, { cause: err, retryable: false });
      }
      const expected = expectedFor(ctx.config, payload.format);
      const differences: Difference[] = [];
      diff(expected, actual, [], ignore, differences);
      if (differences.length === 0) continue;
      const shown = differences.slice(0, MAX_DIFFERENCES_SHOWN);
      const more = differences.length > MAX_DIFFERENCES_SHOWN ? `; and ${differences.length - MAX_DIFFERENCES_SHOWN} more` : '';
      const details: FieldErrors = {};
      for (const d of shown) {
        const messages = details[d.path] ?? [];
        messages.push(d.message);
        details[d.path] = messages;
      }
      throw new AppError(
        'ASSERTION_FAILED',
        `assert: ${position} differs from the expected document: ${shown.map((d) => `${d.path}: ${d.message}`).join('; ')}${more}`,
        { retryable: false, details },
      );
    }
    return { payloads: input };
  },
};

const parsedExpected = new WeakMap<AssertConfig, Map<PayloadFormat, unknown>>();

/** `expected`, parsed in the payload's format when it is XML or CSV written as a string. */
function expectedFor(config: AssertConfig, format: PayloadFormat): unknown {
  const { expected } = config;
  if (typeof expected !== 'string' || (format !== 'xml' && format !== 'csv')) return expected;
  let byFormat = parsedExpected.get(config);
  if (byFormat === undefined) {
    byFormat = new Map();
    parsedExpected.set(config, byFormat);
  }
  if (!byFormat.has(format)) {
    try {
      byFormat.set(format, (format === 'xml' ? xmlCodec : csvCodec).parse(Buffer.from(expected, 'utf8')));
    } catch (err) {
      const message = isAppError(err) ? err.message : String(err);
      throw new AppError('FLOW_INVALID', `assert: expected does not parse as ${format}: ${message}`, { cause: err });
    }
  }
  return byFormat.get(format);
}

type Step = string | number;

// Differences past the limit are only counted, so a huge mismatch costs no more than listing it.
const COUNT_LIMIT = 10_000;

function diff(expected: unknown, actual: unknown, at: Step[], ignore: readonly CompiledPath[], out: Difference[]): void {
  if (out.length >= COUNT_LIMIT || ignored(at, ignore)) return;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      out.push({ path: show(at), message: `expected a list of ${expected.length}, got a list of ${actual.length}` });
    }
    const common = Math.min(expected.length, actual.length);
    for (let i = 0; i < common; i++) diff(expected[i], actual[i], [...at, i], ignore, out);
    return;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const key of Object.keys(expected)) {
      if (!Object.hasOwn(actual, key)) {
        if (!ignored([...at, key], ignore))
          out.push({ path: show([...at, key]), message: `missing (expected ${showValue(expected[key])})` });
      } else diff(expected[key], actual[key], [...at, key], ignore, out);
    }
    for (const key of Object.keys(actual)) {
      if (!Object.hasOwn(expected, key) && !ignored([...at, key], ignore)) {
        out.push({ path: show([...at, key]), message: `not expected (got ${showValue(actual[key])})` });
      }
    }
    return;
  }
  if (expected !== actual && !(Number.isNaN(expected) && Number.isNaN(actual))) {
    out.push({ path: show(at), message: `expected ${showValue(expected)}, got ${showValue(actual)}` });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ignored(at: readonly Step[], ignore: readonly CompiledPath[]): boolean {
  return ignore.some((path) => path.segments.length === at.length && path.segments.every((s, i) => segmentMatches(s, at[i] as Step)));
}

function segmentMatches(segment: PathSegment, step: Step): boolean {
  if (segment.kind === 'wildcard') return typeof step === 'number';
  return typeof step === 'number' ? segment.index === step : segment.key === step;
}

/** `orders[1].total`, `["first name"]`, `(the document)` for the root. */
function show(at: readonly Step[]): string {
  if (at.length === 0) return '(the document)';
  let out = '';
  for (const step of at) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_@$#][\w@$#-]*$/.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}
