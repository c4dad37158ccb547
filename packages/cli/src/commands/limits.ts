import { mkdirSync } from 'node:fs';
import {
  type CompanyLimits,
  type Config,
  companyLimitsKey,
  loadConfig,
  MAX_RETENTION_HOURS,
  openStore,
  parseOverride,
  parseRetentionOverride,
  type RetentionOverride,
} from '@weft/server';

/** The flags of `weft limits set` and the override fields they write. */
const FLAGS: Record<string, string> = {
  'start-rate': 'start_rate_per_minute',
  'webhook-rate': 'webhook_rate_per_minute',
  'queued-max': 'queued_runs_max',
};

/** The retention flags: the override field (always in hours), the unit the flag counts in, and its maximum. */
const RETENTION_FLAGS: Record<string, { field: string; hoursPer: number; max: number; unit: string }> = {
  'run-log-retention-days': { field: 'run_log_retention_hours', hoursPer: 24, max: MAX_RETENTION_HOURS / 24, unit: 'days' },
  'payload-retention-hours': { field: 'payload_retention_hours', hoursPer: 1, max: MAX_RETENTION_HOURS, unit: 'hours' },
};

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
    let current: Record<string, number> = {};
    if (raw !== undefined) current = { ...snake(parseOverride(raw)), ...snakeRetention(parseRetentionOverride(raw)) };
    if (action === 'clear') current = {};
    if (action === 'set') {
      for (const [flag, field] of Object.entries(FLAGS)) {
        const value = values[flag];
        if (value === undefined) continue;
        const n = Number(value);
        if (typeof value !== 'string' || !Number.isInteger(n) || n < 0) {
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
    if (action !== 'show') await store.putSetting(key, Object.keys(current).length === 0 ? null : JSON.stringify(current));
    const effective: CompanyLimits = {
      startRatePerMinute: config.startRatePerMinute,
      webhookRatePerMinute: config.webhookRatePerMinute,
      queuedRunsMax: config.queuedRunsMax,
      ...parseOverride(JSON.stringify(current)),
    };
    const retention: Required<RetentionOverride> = {
      runLogRetentionHours: config.runLogRetentionHours,
      payloadRetentionHours: config.payloadRetentionHours,
      ...parseRetentionOverride(JSON.stringify(current)),
    };
    console.log(
      JSON.stringify({ company_id: companyId, overrides: current, effective: { ...snake(effective), ...snakeRetention(retention) } }),
    );
    return 0;
  } finally {
    await store.close();
  }
}

function snakeRetention(retention: RetentionOverride): Record<string, number> {
  const out: Record<string, number> = {};
  if (retention.runLogRetentionHours !== undefined) out.run_log_retention_hours = retention.runLogRetentionHours;
  if (retention.payloadRetentionHours !== undefined) out.payload_retention_hours = retention.payloadRetentionHours;
  return out;
}

function snake(limits: Partial<CompanyLimits>): Record<string, number> {
  const out: Record<string, number> = {};
  if (limits.startRatePerMinute !== undefined) out.start_rate_per_minute = limits.startRatePerMinute;
  if (limits.webhookRatePerMinute !== undefined) out.webhook_rate_per_minute = limits.webhookRatePerMinute;
  if (limits.queuedRunsMax !== undefined) out.queued_runs_max = limits.queuedRunsMax;
  return out;
}
