import { DateTime, type DurationLikeObject } from 'luxon';
import { arg, defineTransform } from './args.js';
import type { ArgProblem, ArgSpec, TransformArgs, TransformDef } from './types.js';
import { eachValue, mapError, showValue } from './values.js';

/**
 * Date formats: `iso8601`, `unix` (seconds), `unix_ms`, `rfc2822`, `http`, or a Luxon format
 * string such as `yyyy-MM-dd` or `dd/MM/yyyy HH:mm` (https://moment.github.io/luxon/#/formatting).
 * Month and day names are English.
 *
 * Time zones: with `timezone`, dates without an offset are read in that zone and every result is
 * written in it. Without it, a date keeps the offset it was written with, and one without an
 * offset (or a unix time) is UTC.
 */
const NAMED_FORMATS = ['iso8601', 'unix', 'unix_ms', 'rfc2822', 'http'] as const;
const LOCALE = 'en';

const FORMAT_DESCRIPTION = `${NAMED_FORMATS.join(', ')} or a format such as yyyy-MM-dd`;
const TIMEZONE: ArgSpec = {
  type: 'string',
  nonEmpty: true,
  description: 'IANA time zone such as Europe/London; default: keep the offset, else UTC.',
};

const DURATION_UNITS = ['years', 'quarters', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;
const SINGULAR_UNITS = DURATION_UNITS.map((u) => u.slice(0, -1));

function zoneProblems(args: TransformArgs): ArgProblem[] {
  const zone = arg<string | undefined>(args, 'timezone', undefined);
  if (zone === undefined || DateTime.now().setZone(zone).isValid) return [];
  return [
    { path: 'args.timezone', message: `is not a known time zone: ${JSON.stringify(zone)}; use an IANA name such as Europe/London or UTC` },
  ];
}

interface Zoning {
  zone: string;
  setZone: boolean;
  locale: string;
}

function zoning(args: TransformArgs): Zoning {
  const zone = arg<string | undefined>(args, 'timezone', undefined);
  return zone === undefined ? { zone: 'UTC', setZone: true, locale: LOCALE } : { zone, setZone: false, locale: LOCALE };
}

export function readDate(fn: string, value: unknown, format: string, z: Zoning): DateTime {
  let dt: DateTime;
  if (format === 'unix' || format === 'unix_ms') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n)) throw mapError(`${fn} cannot read ${showValue(value)} as a ${format} time`);
    dt = DateTime.fromMillis(format === 'unix' ? n * 1000 : n, { zone: z.zone, locale: z.locale });
  } else {
    if (typeof value !== 'string' && typeof value !== 'number') throw mapError(`${fn} needs a date, got ${showValue(value)}`);
    const text = String(value).trim();
    if (format === 'iso8601') dt = DateTime.fromISO(text, z);
    else if (format === 'rfc2822') dt = DateTime.fromRFC2822(text, z);
    else if (format === 'http') dt = DateTime.fromHTTP(text, z);
    else dt = DateTime.fromFormat(text, format, z);
  }
  if (!dt.isValid)
    throw mapError(`${fn} cannot read ${showValue(value)} as ${format}: ${dt.invalidExplanation ?? dt.invalidReason ?? 'not a date'}`);
  return dt;
}

export function writeDate(dt: DateTime, format: string): string | number {
  switch (format) {
    case 'iso8601':
      return dt.toISO({ suppressMilliseconds: true }) ?? '';
    case 'unix':
      return Math.floor(dt.toSeconds());
    case 'unix_ms':
      return dt.toMillis();
    case 'rfc2822':
      return dt.toRFC2822() ?? '';
    case 'http':
      return dt.toHTTP() ?? '';
    default:
      return dt.toFormat(format);
  }
}

const FORMAT_ARG = (description: string, required = false): ArgSpec => ({
  type: 'string',
  nonEmpty: true,
  required,
  description: `${description} (${FORMAT_DESCRIPTION})`,
});

export const DATE_TRANSFORMS: Record<string, TransformDef> = {
  format_date: defineTransform('format_date', {
    category: 'date',
    description: 'Reads a date in one format and writes it in another.',
    args: {
      from: FORMAT_ARG('How the value is written; default iso8601'),
      to: FORMAT_ARG('How to write it', true),
      timezone: TIMEZONE,
    },
    check: zoneProblems,
    compile: (args) => {
      const from = arg(args, 'from', 'iso8601');
      const to = arg(args, 'to', 'iso8601');
      const z = zoning(args);
      return eachValue((v) => {
        const dt = readDate('format_date', v, from, z);
        return writeDate(z.setZone ? dt : dt.setZone(z.zone), to);
      });
    },
  }),
  now: defineTransform('now', {
    category: 'date',
    description: "The run's current time.",
    acceptsMissing: true,
    args: { format: FORMAT_ARG('How to write it; default iso8601'), timezone: TIMEZONE },
    check: zoneProblems,
    compile: (args) => {
      const format = arg(args, 'format', 'iso8601');
      const zone = arg(args, 'timezone', 'UTC');
      return (_v, ctx) => writeDate(DateTime.fromJSDate(ctx.now(), { zone }).setLocale(LOCALE), format);
    },
  }),
  add_duration: defineTransform('add_duration', {
    category: 'date',
    description: 'Adds (or, with a negative amount, subtracts) a duration to a date, keeping its format.',
    args: {
      amount: { type: 'number', required: true, description: 'How many units; negative goes back.' },
      unit: {
        type: 'string',
        required: true,
        oneOf: [...DURATION_UNITS, ...SINGULAR_UNITS],
        description: 'years, months, weeks, days, hours, minutes, seconds, …',
      },
      format: FORMAT_ARG('How the value is written, and the result; default iso8601'),
      timezone: TIMEZONE,
    },
    check: zoneProblems,
    compile: (args) => {
      const amount = arg(args, 'amount', 0);
      const rawUnit = arg(args, 'unit', 'days');
      const unit = (rawUnit.endsWith('s') ? rawUnit : `${rawUnit}s`) as keyof DurationLikeObject;
      const format = arg(args, 'format', 'iso8601');
      const z = zoning(args);
      const duration: DurationLikeObject = { [unit]: amount };
      return eachValue((v) => {
        const dt = readDate('add_duration', v, format, z).plus(duration);
        return writeDate(z.setZone ? dt : dt.setZone(z.zone), format);
      });
    },
  }),
};
