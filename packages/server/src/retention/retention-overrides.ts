import { companyLimitsKey, integerFields } from '../limits/limits.js';

/** A company's own retention windows, kept beside its limits in the `limits:<company id>` setting. */
export interface RetentionOverride {
  runLogRetentionHours?: number;
  payloadRetentionHours?: number;
}

/** Longest window an operator may set: ten years, so a typo cannot overflow a date. */
export const MAX_RETENTION_HOURS = 10 * 366 * 24;

const FIELDS: Record<string, keyof RetentionOverride> = {
  run_log_retention_hours: 'runLogRetentionHours',
  payload_retention_hours: 'payloadRetentionHours',
};

/** The override setting's retention fields with positive integer values in range; anything else is ignored. */
export function parseRetentionOverride(raw: string): RetentionOverride {
  return integerFields<RetentionOverride>(raw, FIELDS, 1, MAX_RETENTION_HOURS);
}

/** Every company's retention override, by company id (the settings' key prefix is the limits one). */
export function retentionOverrides(settings: Array<{ key: string; value: string }>): Map<string, RetentionOverride> {
  const prefix = companyLimitsKey('');
  const out = new Map<string, RetentionOverride>();
  for (const { key, value } of settings) {
    if (!key.startsWith(prefix)) continue;
    const override = parseRetentionOverride(value);
    if (override.runLogRetentionHours !== undefined || override.payloadRetentionHours !== undefined) {
      out.set(key.slice(prefix.length), override);
    }
  }
  return out;
}
