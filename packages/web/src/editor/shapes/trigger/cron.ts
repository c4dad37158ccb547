import { CRON_PATTERN } from '@weft/schema';
import { CronExpressionParser } from 'cron-parser';
import cronstrue from 'cronstrue';

export interface CronPreview {
  /** The expression in words, e.g. "At 06:00 AM, Monday through Friday". */
  description?: string;
  /** The next fire times (UTC, as the scheduler reads schedules). */
  next: Date[];
  /** Why the expression is refused, in the words the server would use. */
  problem?: string;
}

const FIVE_FIELDS = new RegExp(CRON_PATTERN);

/** What a cron expression means and when it fires next, read as the scheduler reads it (cron-parser, UTC). */
export function previewCron(expression: string, count = 3, now = new Date()): CronPreview {
  const cron = expression.trim();
  if (!cron) return { next: [], problem: 'Type a cron expression, e.g. "0 6 * * *".' };
  if (!FIVE_FIELDS.test(cron)) {
    return { next: [], problem: 'Must have 5 fields: minute hour day-of-month month day-of-week (UTC), e.g. "0 6 * * *".' };
  }
  try {
    const parsed = CronExpressionParser.parse(cron, { currentDate: now, tz: 'UTC' });
    const next: Date[] = [];
    for (let i = 0; i < count && parsed.hasNext(); i++) next.push(parsed.next().toDate());
    let description: string | undefined;
    try {
      description = cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
    } catch {
      description = undefined;
    }
    return { description, next };
  } catch (err) {
    return { next: [], problem: `Not a valid cron expression: ${(err as Error).message}` };
  }
}

/** Common schedules to start from. */
export const CRON_PRESETS: Array<{ label: string; cron: string }> = [
  { label: 'Every 5 minutes', cron: '*/5 * * * *' },
  { label: 'Every hour, on the hour', cron: '0 * * * *' },
  { label: 'Every day at 06:00 UTC', cron: '0 6 * * *' },
  { label: 'Weekdays at 09:00 UTC', cron: '0 9 * * 1-5' },
  { label: 'Every Monday at 00:00 UTC', cron: '0 0 * * 1' },
  { label: 'The first of each month at 00:00 UTC', cron: '0 0 1 * *' },
];
