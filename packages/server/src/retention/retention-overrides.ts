import { companyLimitsKey } from '../limits/limits.js';

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
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return {};
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: RetentionOverride = {};
  for (const [name, field] of Object.entries(FIELDS)) {
    const v = (value as Record<string, unknown>)[name];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_RETENTION_HOURS) out[field] = v;
  }
  return out;
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
