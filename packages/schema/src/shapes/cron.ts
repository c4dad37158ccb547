import type { ConfigProblem } from './conditions.js';
import type { TriggerConfig } from './trigger.js';

/**
 * Field ranges of a 5-field cron expression. The config schema only checks the outline (five
 * fields of cron characters); this says which field is out of range, so `61 * * * *` is refused
 * when the flow is saved rather than when the scheduler first meets it. The ranges and names
 * are cron-parser's (the scheduler's parser), so nothing accepted here is refused there.
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Tokens other than numbers and names this field allows on their own (`L`, `?`). */
  specials?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, specials: ['?', 'L'] },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday as well as 0, as in most crons.
  { name: 'day of week', min: 0, max: 7, names: DAYS, specials: ['?', 'L'] },
];

function tokenValue(field: CronField, token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  // Months are 1-based, days 0-based.
  if (index >= 0) return field.names === MONTHS ? index + 1 : index;
  return undefined;
}

/** The problem with one comma-separated item of a field, or undefined. */
function itemProblem(field: CronField, item: string): string | undefined {
  if (item === '') return 'has an empty item (two commas in a row?)';
  if (item === '*' || field.specials?.includes(item.toUpperCase())) return undefined;
  // Day-of-week `5L` (last Friday), `5#2` (second Friday); cron-parser knows no `W`.
  if (field.name === 'day of week') {
    const nth = /^(\w+)#(\d+)$/.exec(item);
    if (nth) {
      const week = Number(nth[2]);
      if (week < 1 || week > 5) return `"${item}": the week after # must be 1 to 5`;
      return checkValue(field, nth[1] ?? '', item);
    }
    const last = /^(\w+)L$/i.exec(item);
    if (last && tokenValue(field, last[1] ?? '') !== undefined) return checkValue(field, last[1] ?? '', item);
  }
  const [range, step, extra] = item.split('/');
  if (extra !== undefined) return `"${item}" has more than one /`;
  if (step !== undefined) {
    if (!/^\d+$/.test(step) || Number(step) < 1) return `"${item}": the step after / must be a whole number of at least 1`;
    if (Number(step) > field.max) return `"${item}": the step ${step} is larger than the largest ${field.name} (${field.max})`;
  }
  if (range === '*' && step !== undefined) return undefined;
  const ends = (range ?? '').split('-');
  if (ends.length > 2) return `"${item}" is not a value or a range`;
  for (const end of ends) {
    const problem = checkValue(field, end, item);
    if (problem) return problem;
  }
  if (ends.length === 2) {
    const from = tokenValue(field, ends[0] ?? '') ?? 0;
    const to = tokenValue(field, ends[1] ?? '') ?? 0;
    if (from > to) return `"${item}": the range runs backwards (${ends[0]} is after ${ends[1]})`;
  }
  return undefined;
}

function checkValue(field: CronField, token: string, item: string): string | undefined {
  const value = tokenValue(field, token);
  const allowed = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}`;
  if (value === undefined) return `"${item}" is not a ${field.name} (${allowed})`;
  if (value < field.min || value > field.max) return `${token} is out of range for the ${field.name} field (${allowed})`;
  return undefined;
}

/** The first problem of a 5-field cron expression, naming the field; undefined when it is fine. */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) return undefined; // the schema's pattern reports the field count
  for (const [i, field] of FIELDS.entries()) {
    for (const item of (parts[i] ?? '').split(',')) {
      const problem = itemProblem(field, item);
      if (problem) return `${field.name} (field ${i + 1}): ${problem}`;
    }
  }
  return undefined;
}

/** Problems of the trigger shape's config beyond its schema; paths are relative to the config. */
export function triggerConfigProblems(config: TriggerConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  (config.schedules ?? []).forEach((expression, i) => {
    const problem = cronProblem(expression);
    if (problem) problems.push({ path: `schedules[${i}]`, message: problem });
  });
  return problems;
}
