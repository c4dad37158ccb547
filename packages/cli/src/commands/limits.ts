import { mkdirSync } from 'node:fs';
import {
  type CompanyLimits,
  type Config,
  companyLimitsKey,
  companySettingFields,
  loadConfig,
  MAX_RETENTION_HOURS,
  openStore,
  parseOverride,
  parseRetentionOverride,
  type RetentionOverride,
} from '@weft/server';

/** The flags of `weft limits set` and the limit they override. */
const FLAGS: Record<string, keyof CompanyLimits> = {
  'start-rate': 'startRatePerMinute',
  'webhook-rate': 'webhookRatePerMinute',
  'queued-max': 'queuedRunsMax',
};

/** The retention flags: the window they override (always in hours), the unit the flag counts in, and its maximum. */
const RETENTION_FLAGS: Record<string, { field: keyof RetentionOverride; hoursPer: number; max: number; unit: string }> = {
  'run-log-retention-days': { field: 'runLogRetentionHours', hoursPer: 24, max: MAX_RETENTION_HOURS / 24, unit: 'days' },
  'payload-retention-hours': { field: 'payloadRetentionHours', hoursPer: 1, max: MAX_RETENTION_HOURS, unit: 'hours' },
};

type Overrides = Partial<CompanyLimits> & RetentionOverride;

/**
 * `weft limits show|set|clear --company-id ID`: a company's overrides of the per-company limits
 * (WEFT_START_RATE_PER_MINUTE, WEFT_WEBHOOK_RATE_PER_MINUTE, WEFT_QUEUED_RUNS_MAX) and retention
 * windows (WEFT_RUN_LOG_RETENTION_HOURS, WEFT_PAYLOAD_RETENTION_HOURS, stored in hours), kept in the
 * database's settings, so every process applies them within a minute. An operator's tool: tenants
 * cannot change their own limits through the API.
 */
export async function limits(
  action: string | undefined,
  values: Record<string, string | boolean | undefined>,
  config: Config = loadConfig(),
): Promise<number> {
  const companyId = typeof values['company-id'] === 'string' ? values['company-id'] : undefined;
  if (companyId === undefined || !['show', 'set', 'clear'].includes(action ?? '')) {
    console.error(
      'weft: usage: weft limits show|set|clear --company-id ID [--start-rate N] [--webhook-rate N] [--queued-max N] [--run-log-retention-days N] [--payload-retention-hours N]',
    );
    return 1;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  try {
    await store.migrate();
    if ((await store.getCompany(companyId)) === undefined) {
      console.error(`weft: no company ${companyId}`);
      return 1;
    }
    const key = companyLimitsKey(companyId);
    const raw = await store.getSetting(key);
    // The stored text is parsed here only (once for the limits, once for the retention windows); from
    // here on the overrides are values, written back and shown as they are, not re-read from JSON.
    const current: Overrides = raw === undefined || action === 'clear' ? {} : { ...parseOverride(raw), ...parseRetentionOverride(raw) };
    if (action === 'set') {
      for (const [flag, field] of Object.entries(FLAGS)) {
        const value = values[flag];
        if (value === undefined) continue;
        const n = Number(value);
        // Safe integers only: the server ignores a larger override, so storing one would promise a limit that is not applied.
        if (typeof value !== 'string' || !Number.isSafeInteger(n) || n < 0) {
          console.error(`weft: --${flag} must be a non-negative integer (0 lifts the limit), got "${String(value)}"`);
          return 1;
        }
        current[field] = n;
      }
      for (const [flag, { field, hoursPer, max, unit }] of Object.entries(RETENTION_FLAGS)) {
        const value = values[flag];
        if (value === undefined) continue;
        const n = Number(value);
        if (typeof value !== 'string' || !/^\d+$/.test(value.trim()) || n < 1 || n > max) {
          console.error(`weft: --${flag} must be a whole number of ${unit} from 1 to ${max}, got "${String(value)}"`);
          return 1;
        }
        current[field] = n * hoursPer;
      }
    }
    const overrides = companySettingFields(current);
    if (action !== 'show') await store.putSetting(key, Object.keys(overrides).length === 0 ? null : JSON.stringify(overrides));
    const effective: Required<Overrides> = {
      startRatePerMinute: config.startRatePerMinute,
      webhookRatePerMinute: config.webhookRatePerMinute,
      queuedRunsMax: config.queuedRunsMax,
      runLogRetentionHours: config.runLogRetentionHours,
      payloadRetentionHours: config.payloadRetentionHours,
      ...current,
    };
    console.log(JSON.stringify({ company_id: companyId, overrides, effective: companySettingFields(effective) }));
    return 0;
  } finally {
    await store.close();
  }
}
