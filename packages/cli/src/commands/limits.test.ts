import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { companyLimitsKey, loadConfig, openStore } from '@weft/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { limits } from './limits.js';

describe('weft limits', () => {
  let dataDir: string;
  let companyId: string;
  const config = () => loadConfig({ WEFT_DATA_DIR: dataDir, WEFT_START_RATE_PER_MINUTE: '240' });
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-limits-cli-'));
    const store = openStore(config());
    await store.migrate();
    companyId = (await store.createCompanyWithAdmin({ companyName: 'Acme', name: 'Ada', email: 'ada@acme.test', passwordHash: 'x' }))
      .company.id;
    await store.close();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  const run = async (action: string, values: Record<string, string>) => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    vi.spyOn(console, 'error').mockImplementation((line: string) => err.push(line));
    const code = await limits(action, { 'company-id': companyId, ...values }, config());
    vi.restoreAllMocks();
    return { code, out: out.map((l) => JSON.parse(l)), err };
  };

  it('sets a company override that the store keeps, shows it with the effective limits, and clears it', async () => {
    const set = await run('set', { 'start-rate': '1000', 'queued-max': '0' });
    expect(set.code).toBe(0);
    expect(set.out[0]).toEqual({
      company_id: companyId,
      overrides: { start_rate_per_minute: 1000, queued_runs_max: 0 },
      effective: {
        start_rate_per_minute: 1000,
        webhook_rate_per_minute: 120,
        queued_runs_max: 0,
        run_log_retention_hours: 168,
        payload_retention_hours: 72,
      },
    });
    const store = openStore(config());
    expect(JSON.parse((await store.getSetting(companyLimitsKey(companyId))) ?? '{}')).toEqual({
      start_rate_per_minute: 1000,
      queued_runs_max: 0,
    });
    await store.close();
    expect((await run('show', {})).out[0].overrides).toEqual({ start_rate_per_minute: 1000, queued_runs_max: 0 });
    const cleared = await run('clear', {});
    expect(cleared.out[0].effective).toEqual({
      start_rate_per_minute: 240,
      webhook_rate_per_minute: 120,
      queued_runs_max: 10_000,
      run_log_retention_hours: 168,
      payload_retention_hours: 72,
    });
  });

  it('refuses a value that is not a non-negative integer, and an unknown company', async () => {
    const bad = await run('set', { 'start-rate': '-3' });
    expect(bad.code).toBe(1);
    expect(bad.err[0]).toMatch(/--start-rate must be a non-negative integer/);
    // Beyond a safe integer the server would ignore the override while the command reported it.
    const before = (await run('show', {})).out[0].overrides;
    const huge = await run('set', { 'queued-max': '1e20' });
    expect(huge.code).toBe(1);
    expect(huge.err[0]).toMatch(/--queued-max must be a non-negative integer/);
    expect((await run('show', {})).out[0].overrides).toEqual(before);
    const unknown = await run('show', { 'company-id': 'nope' });
    expect(unknown.code).toBe(1);
    expect(unknown.err[0]).toMatch(/no company nope/);
  });

  it('sets a company retention window beside its limits, keeping the other overrides, and clears it', async () => {
    await run('set', { 'start-rate': '1000' });
    const set = await run('set', { 'run-log-retention-days': '2', 'payload-retention-hours': '6' });
    expect(set.code).toBe(0);
    expect(set.out[0].overrides).toEqual({ start_rate_per_minute: 1000, run_log_retention_hours: 48, payload_retention_hours: 6 });
    expect(set.out[0].effective).toMatchObject({ start_rate_per_minute: 1000, run_log_retention_hours: 48, payload_retention_hours: 6 });
    // Setting a limit later keeps the retention windows.
    const again = await run('set', { 'queued-max': '5' });
    expect(again.out[0].overrides).toEqual({
      start_rate_per_minute: 1000,
      queued_runs_max: 5,
      run_log_retention_hours: 48,
      payload_retention_hours: 6,
    });
    const store = openStore(config());
    expect(JSON.parse((await store.getSetting(companyLimitsKey(companyId))) ?? '{}')).toMatchObject({
      run_log_retention_hours: 48,
      payload_retention_hours: 6,
    });
    await store.close();
    const cleared = await run('clear', {});
    expect(cleared.out[0].effective).toMatchObject({ run_log_retention_hours: 168, payload_retention_hours: 72 });
  });

  it.each([
    ['run-log-retention-days', '0', /--run-log-retention-days must be a whole number of days from 1 to 3660, got "0"/],
    ['run-log-retention-days', '1.5', /--run-log-retention-days must be a whole number of days from 1 to 3660/],
    ['run-log-retention-days', '3661', /--run-log-retention-days must be a whole number of days from 1 to 3660/],
    ['payload-retention-hours', '-1', /--payload-retention-hours must be a whole number of hours from 1 to 87840/],
    ['payload-retention-hours', 'abc', /--payload-retention-hours must be a whole number of hours from 1 to 87840, got "abc"/],
    ['payload-retention-hours', '', /--payload-retention-hours must be a whole number of hours/],
    ['payload-retention-hours', '87841', /--payload-retention-hours must be a whole number of hours from 1 to 87840/],
  ])('refuses --%s %j and leaves the stored overrides as they were', async (flag, value, message) => {
    await run('set', { 'payload-retention-hours': '12' });
    const bad = await run('set', { [flag]: value });
    expect(bad.code).toBe(1);
    expect(bad.err[0]).toMatch(message);
    expect((await run('show', {})).out[0].overrides).toEqual({ payload_retention_hours: 12 });
  });
});
