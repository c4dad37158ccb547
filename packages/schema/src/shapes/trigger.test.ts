import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { TriggerConfigSchema } from './trigger.js';

describe('TriggerConfigSchema', () => {
  it('accepts an empty config and five-field cron schedules', () => {
    expect(Value.Check(TriggerConfigSchema, {})).toBe(true);
    expect(Value.Check(TriggerConfigSchema, { schedules: ['0 6 * * *', '*/15 9-17 * * MON-FRI', '0 0 1 1,7 *'] })).toBe(true);
  });

  it('rejects cron strings with six fields, four fields or stray characters', () => {
    for (const bad of ['0 0 6 * * *', '0 6 * *', 'every day', '0 6 * * * ;rm'])
      expect(Value.Check(TriggerConfigSchema, { schedules: [bad] })).toBe(false);
  });

  it('accepts webhook and callback settings loosely, but not unknown top-level fields', () => {
    expect(
      Value.Check(TriggerConfigSchema, {
        webhook: { enabled: true, hmac_secret: 's', response: { status: 202, body: 'ok', format: 'text' } },
        callback: { enabled: true, content_type: 'application/json' },
      }),
    ).toBe(true);
    expect(Value.Check(TriggerConfigSchema, { webhook: { response: { status: 99 } } })).toBe(false);
    expect(Value.Check(TriggerConfigSchema, { cron: '0 6 * * *' })).toBe(false);
  });
});
