import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../validate/index.js';
import { journeyDefinition } from '../validate/test-support/definitions.js';
import { cronProblem } from './cron.js';

describe('cronProblem', () => {
  it('accepts expressions within every field range, with names, steps, lists and cron-parser specials', () => {
    for (const good of [
      '0 6 * * *',
      '59 23 31 12 7',
      '*/15 9-17 * * MON-FRI',
      '0 0 1 1,7 *',
      '0-30/5 0 1 jan-dec sun',
      '0 0 L * ?',
      '0 0 * * 5L',
      '0 0 * * 5#2',
      '10/5 * * * *',
    ]) {
      expect(cronProblem(good), good).toBeUndefined();
    }
  });

  it('names the field and its range when a value is out of range', () => {
    expect(cronProblem('60 * * * *')).toBe('minute (field 1): 60 is out of range for the minute field (0-59)');
    expect(cronProblem('0 24 * * *')).toMatch(/^hour \(field 2\): 24 is out of range .*\(0-23\)/);
    expect(cronProblem('0 0 0 * *')).toMatch(/^day of month \(field 3\): 0 is out of range .*\(1-31\)/);
    expect(cronProblem('0 0 * 13 *')).toMatch(/^month \(field 4\): 13 is out of range .*\(1-12 or JAN-DEC\)/);
    expect(cronProblem('0 0 * * 8')).toMatch(/^day of week \(field 5\): 8 is out of range .*\(0-7 or SUN-SAT\)/);
  });

  it('refuses backwards ranges, bad steps, empty items, unknown names and a bad week number', () => {
    expect(cronProblem('0 17-9 * * *')).toMatch(/^hour .*runs backwards/);
    expect(cronProblem('*/0 * * * *')).toMatch(/^minute .*step after \/ must be a whole number of at least 1/);
    expect(cronProblem('*/61 * * * *')).toMatch(/^minute .*step 61 is larger/);
    expect(cronProblem('0 0 1,,2 * *')).toMatch(/^day of month .*empty item/);
    expect(cronProblem('0 0 * FOO *')).toMatch(/^month .*"FOO" is not a month/);
    expect(cronProblem('0 0 * * MON#6')).toMatch(/^day of week .*week after # must be 1 to 5/);
    expect(cronProblem('0 0 * * MON#1')).toBeUndefined();
    expect(cronProblem('0 0 15W * *')).toMatch(/^day of month .*"15W" is not a day of month/);
    expect(cronProblem('1-2-3 * * * *')).toMatch(/is not a value or a range/);
  });

  it('leaves a wrong field count to the schema pattern', () => {
    expect(cronProblem('0 0 6 * * *')).toBeUndefined();
  });
});

describe('trigger schedules in a flow definition', () => {
  it('are refused with the field path of the schedule and the field that is out of range', () => {
    const definition = journeyDefinition();
    const trigger = definition.steps.find((s) => s.shape === 'trigger');
    if (trigger === undefined) throw new Error('the journey has a trigger step');
    const index = definition.steps.indexOf(trigger);
    Object.assign(trigger.config, { schedules: ['0 6 * * *', '0 25 * * *'] });
    expect(validateDefinition(definition)).toEqual({
      [`steps[${index}].config.schedules[1]`]: ['hour (field 2): 25 is out of range for the hour field (0-23)'],
    });
  });
});
