#!/usr/bin/env node
// `npm run bench -- --compare`: the bench in embedded mode, then in distributed mode (PostgreSQL +
// Redis, weft api + workers), each printing its own tables, then one table with the two side by
// side. Other options (--duration, --quick, --set, --workers, --database-url, --redis-url) go to
// both runs. Exits non-zero when either run's correctness failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, table } from './lib/stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUN = path.join(import.meta.dirname, 'run.mjs');
const passOn = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-compare-'));

const modes = [
  { name: 'embedded', args: [] },
  { name: 'distributed', args: ['--distributed'] },
];
const results = {};
let status = 0;
for (const mode of modes) {
  const out = path.join(dir, `${mode.name}.json`);
  console.error(`bench --compare: ${mode.name} mode`);
  const r = spawnSync(process.execPath, [RUN, ...mode.args, ...passOn, '--out', out], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) status = 1;
  try {
    results[mode.name] = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    console.error(`bench --compare: the ${mode.name} run wrote no results (exit ${r.status ?? r.signal})`);
  }
}
rmSync(dir, { recursive: true, force: true });

const e = results.embedded;
const d = results.distributed;
const phase = (r, c) => r?.phases?.find((p) => p.connections === c);
const rows = [['figure', 'embedded', `distributed (1 api + ${d?.options?.workers ?? '?'} workers)`]];
const add = (label, f, digits = 1) => rows.push([label, fmt(f(e), digits), fmt(f(d), digits)]);
add('idle RSS MB (sum of processes)', (r) => r?.idle?.rss_mb);
for (const c of [10, 50]) {
  add(`W1 c${c} starts/s`, (r) => phase(r, c)?.starts_per_s, 0);
  add(`W1 c${c} runs/s completed`, (r) => phase(r, c)?.runs_per_s, 0);
  add(`W1 c${c} accept p50 / p99 ms`, (r) => pair(phase(r, c)?.accept_ms));
  add(`W1 c${c} accept→delivery p50 / p99 ms`, (r) => pair(phase(r, c)?.accept_to_delivery_ms));
  add(`W1 c${c} peak RSS MB`, (r) => phase(r, c)?.peak_rss_mb);
  add(`W1 c${c} product CPU ms/run`, (r) => phase(r, c)?.server_cpu_ms_per_run, 2);
  rows.push([`W1 c${c} delivered == accepted`, yn(phase(e, c)?.delivered_all), yn(phase(d, c)?.delivered_all)]);
}
add('W2 start→delivery s', (r) => r?.w2?.seconds, 2);
add('W2 peak RSS above idle MB', (r) => r?.w2?.rss_above_idle_mb);
add('W2 peak RSS above idle × payload', (r) => r?.w2?.rss_above_idle_x_payload);
rows.push(['correct', yn(e?.correct), yn(d?.correct)]);
console.log(`\nWeft benchmark, both modes side by side (${e?.cpus ?? d?.cpus ?? '?'} cores, commit ${e?.commit ?? d?.commit ?? '?'})`);
console.log(table(rows));
console.log('note: distributed RSS and CPU are sums over the api and worker processes; PostgreSQL and Redis are not counted.');
process.exit(status);

function pair(ms) {
  return ms ? `${fmt(ms.p50)} / ${fmt(ms.p99)}` : undefined;
}

function yn(b) {
  return b === undefined ? '-' : b ? 'yes' : 'NO';
}
