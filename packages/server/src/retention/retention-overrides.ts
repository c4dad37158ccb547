import { type CompanyLimits, companyLimitsKey, integerFields, LIMIT_FIELDS } from '../limits/limits.js';

/** A company's own retention windows, kept beside its limits in the `limits:<company id>` setting. */
export interface RetentionOverride {
  runLogRetentionHours?: number;
  payloadRetentionHours?: number;
}

/** Longest window an operator may set: ten years, so a typo cannot overflow a date. */
export const MAX_RETENTION_HOURS = 10 * 366 * 24;

/** The `limits:<company id>` setting's retention fields, by their name in the setting. */
const RETENTION_FIELDS: Record<string, keyof RetentionOverride> = {
  run_log_retention_hours: 'runLogRetentionHours',
  payload_retention_hours: 'payloadRetentionHours',
};

/** The override setting's retention fields with positive integer values in range; anything else is ignored. */
export function parseRetentionOverride(raw: string): RetentionOverride {
  return integerFields<RetentionOverride>(raw, RETENTION_FIELDS, 1, MAX_RETENTION_HOURS);
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

/**
 * A company's limits and retention overrides under the setting's field names (limits first, then
 * retention windows; absent ones left out): what `weft limits` stores and shows, and what
 * parseOverride and parseRetentionOverride read back.
 */
export function companySettingFields(overrides: Partial<CompanyLimits> & RetentionOverride): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, field] of [...Object.entries(LIMIT_FIELDS), ...Object.entries(RETENTION_FIELDS)]) {
    const value = overrides[field as keyof typeof overrides];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
