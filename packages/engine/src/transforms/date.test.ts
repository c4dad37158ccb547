import { describe, expect, it } from 'vitest';
import { applyTransform as apply, argProblems, testContext } from './test-support/apply.js';

describe('date transforms', () => {
  it('reformat an ISO date with a format string', async () => {
    expect(await apply('format_date', { to: 'dd/MM/yyyy HH:mm' }, '2026-11-10T09:05:00Z')).toBe('10/11/2026 09:05');
  });

  it('read a format string and write ISO 8601 in UTC by default', async () => {
    expect(await apply('format_date', { from: 'dd/MM/yyyy', to: 'iso8601' }, '10/11/2026')).toBe('2026-11-10T00:00:00Z');
  });

  it('keep the offset a date was written with when no time zone is given', async () => {
    expect(await apply('format_date', { to: 'HH:mm ZZ' }, '2026-11-10T09:00:00+02:00')).toBe('09:00 +02:00');
  });

  it('convert to a time zone, and read dates without an offset in it', async () => {
    expect(await apply('format_date', { to: 'iso8601', timezone: 'Europe/London' }, '2026-07-01T09:00:00Z')).toBe(
      '2026-07-01T10:00:00+01:00',
    );
    expect(await apply('format_date', { from: 'yyyy-MM-dd HH:mm', to: 'unix', timezone: 'Europe/London' }, '2026-07-01 10:00')).toBe(
      1782896400,
    );
  });

  it('read and write unix seconds and milliseconds', async () => {
    expect(await apply('format_date', { from: 'unix', to: 'iso8601' }, 1782896400)).toBe('2026-07-01T09:00:00Z');
    expect(await apply('format_date', { from: 'unix', to: 'yyyy-MM-dd' }, '1782896400')).toBe('2026-07-01');
    expect(await apply('format_date', { from: 'unix_ms', to: 'unix' }, 1782896400123)).toBe(1782896400);
    expect(await apply('format_date', { to: 'unix_ms' }, '2026-07-01T09:00:00.123Z')).toBe(1782896400123);
  });

  it('write English month names whatever the machine locale', async () => {
    expect(await apply('format_date', { to: 'd MMMM yyyy' }, '2026-11-10')).toBe('10 November 2026');
  });

  it('refuse a value that is not a date in the given format', async () => {
    await expect(apply('format_date', { to: 'iso8601' }, 'yesterday')).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringContaining('format_date cannot read "yesterday" as iso8601'),
    });
    await expect(apply('format_date', { from: 'dd/MM/yyyy', to: 'iso8601' }, '2026-11-10')).rejects.toMatchObject({ code: 'MAP_ERROR' });
    await expect(apply('format_date', { from: 'unix', to: 'iso8601' }, 'abc')).rejects.toMatchObject({
      message: 'format_date cannot read "abc" as a unix time',
    });
    await expect(apply('format_date', { to: 'iso8601' }, { a: 1 })).rejects.toMatchObject({
      message: 'format_date needs a date, got an object',
    });
  });

  it('reject an unknown time zone and a missing target format', () => {
    expect(argProblems('format_date', { to: 'iso8601', timezone: 'Mars/Olympus' })).toEqual([
      expect.stringMatching(/^args\.timezone is not a known time zone/),
    ]);
    expect(argProblems('format_date', { from: 'iso8601' })).toEqual(['args.to is required']);
  });

  it('give the run clock for now, in the format and zone asked', async () => {
    expect(await apply('now', {}, undefined)).toBe('2026-11-10T09:00:00Z');
    expect(await apply('now', { format: 'yyyy-MM-dd HH:mm', timezone: 'Asia/Tokyo' }, undefined, testContext())).toBe('2026-11-10 18:00');
    expect(await apply('now', { format: 'unix' }, 'ignored')).toBe(1794301200);
  });

  it('add and subtract durations keeping the format', async () => {
    expect(await apply('add_duration', { amount: 1, unit: 'month' }, '2026-01-31T00:00:00Z')).toBe('2026-02-28T00:00:00Z');
    expect(await apply('add_duration', { amount: -2, unit: 'hours', format: 'yyyy-MM-dd HH:mm' }, '2026-11-10 01:00')).toBe(
      '2026-11-09 23:00',
    );
    expect(await apply('add_duration', { amount: 30, unit: 'seconds', format: 'unix' }, 100)).toBe(130);
    expect(argProblems('add_duration', { amount: 1, unit: 'fortnights' })).toEqual([
      expect.stringMatching(/^args\.unit must be one of years/),
    ]);
  });
});
