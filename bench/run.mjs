#!/usr/bin/env node
// `npm run bench`: the benchmark of quality.md §4. Starts the product as a user would, drives it
// over HTTP on 127.0.0.1 with W1 (10 customers → map → deliver, concurrency 10 then 50) and W2
// (one ~8 MiB payload), checks every delivery at a sink, prints one table and writes
// bench/results/<timestamp>.json. Exits non-zero only when correctness fails, never on speed.
//
//   node bench/run.mjs [--duration S] [--quick] [--keep-data] [--cpu-prof] [--engine] [--set WEFT_X=value …]
//                      [--distributed [--database-url postgres://…] [--redis-url redis://…] [--workers N]]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { distributedPlace, startCluster } from './lib/cluster.mjs';
import { customers, expectedMapping } from './lib/customers.mjs';
import { freePort, npmStartEnv, readRssParts, startServer } from './lib/server.mjs';
import { startSink } from './lib/sink.mjs';
import { fmt, MB, percentile, processCpuSeconds, table } from './lib/stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures');
const TOTAL_BUDGET_MS = 270_000; // the whole bench, build included, stays under 5 minutes
const BENCH_START = performance.now();

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'keep-data': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    engine: { type: 'boolean', default: false },
    // Distributed mode: PostgreSQL + Redis, one `weft api` and --workers `weft worker` processes.
    distributed: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    workers: { type: 'string', default: '2' },
    // Both modes one after the other, then one table with them side by side (bench/compare.mjs).
    compare: { type: 'boolean', default: false },
    // Also write the results JSON here (used by --compare).
    out: { type: 'string' },
    // Extra WEFT_* settings for the server (e.g. --set WEFT_WORKER_CONCURRENCY=64), for experiments.
    set: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(readFileSync(path.join(import.meta.dirname, 'README.md'), 'utf8'));
  process.exit(0);
}
if (args.compare) {
  const passOn = process.argv.slice(2).filter((a) => a !== '--compare' && a !== '--distributed');
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'compare.mjs'), ...passOn], { stdio: 'inherit', cwd: ROOT });
  process.exit(r.status ?? 1);
}
if (args.engine) {
  // The engine micro-benchmark wants --expose-gc for its allocation figures.
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(import.meta.dirname, 'engine.mjs'), ...(args.quick ? ['--quick'] : [])], {
    stdio: 'inherit',
    cwd: ROOT,
    timeout: TOTAL_BUDGET_MS,
  });
  process.exit(r.status ?? 1);
}

const QUICK = args.quick;
const DURATION_S = args.duration !== undefined ? Number(args.duration) : QUICK ? 2 : 10;
if (!Number.isFinite(DURATION_S) || DURATION_S <= 0 || DURATION_S > 60) {
  console.error('bench: --duration must be a number of seconds in (0, 60]');
  process.exit(2);
}
const DISTRIBUTED = args.distributed;
const WORKERS = Number(args.workers);
if (!Number.isInteger(WORKERS) || WORKERS < 1 || WORKERS > 8) {
  console.error('bench: --workers must be an integer from 1 to 8');
  process.exit(2);
}
const DATABASE_URL = args['database-url'] ?? process.env.WEFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = args['redis-url'] ?? process.env.WEFT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MODE = DISTRIBUTED ? `distributed mode (PostgreSQL + Redis, 1 api + ${WORKERS} workers)` : 'embedded mode';
const extraEnv = {};
for (const pair of args.set) {
  const eq = pair.indexOf('=');
  if (eq <= 0 || !pair.startsWith('WEFT_')) {
    console.error(`bench: --set takes WEFT_NAME=value, got "${pair}"`);
    process.exit(2);
  }
  extraEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
}
const W1_CONCURRENCY = [10, 50];
const W2_RECORDS = QUICK ? 4_000 : 40_000;
const W2_TARGET_BYTES = Math.round((8 * MB * W2_RECORDS) / 40_000);
const DRAIN_MAX_MS = 120_000; // and never past the bench's own time budget (see until())
const DRAIN_STALL_MS = 15_000;
const PASSWORD = 'bench-password-0123456789';

const BUDGETS = {
  w1RunsPerS: 2500,
  w1AcceptP99Ms: 25,
  idleRssMB: 150,
  loadRssMB: 300,
  w2RssTimesPayload: 10,
  engineStepUs: 50,
};

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${TOTAL_BUDGET_MS / 1000} s; giving up (the server is killed on exit)`);
  process.exit(3);
}, TOTAL_BUDGET_MS);
watchdog.unref();

const failures = [];
const productBugs = [];
const log = (msg) => console.error(`bench: ${msg}`);

/** A request the product answered wrongly: kept with the request and the response for the report. */
class ProductError extends Error {
  constructor(message, exchange) {
    super(message);
    this.exchange = exchange;
  }
}

let server;
let sink;
let dataDir;
let place; // distributed mode: the bench's own PostgreSQL schema and Redis prefix
const results = {
  started_at: new Date().toISOString(),
  commit: gitCommit(),
  node: process.version,
  cpus: os.cpus().length,
  options: {
    mode: DISTRIBUTED ? 'distributed' : 'embedded',
    workers: DISTRIBUTED ? WORKERS : undefined,
    duration_s: DURATION_S,
    quick: QUICK,
    w1_concurrency: W1_CONCURRENCY,
    w2_records: W2_RECORDS,
    server_env: { ...npmStartEnv(ROOT), ...extraEnv },
  },
  idle: null,
  phases: [],
  w2: null,
  budgets: [],
  correct: false,
  failures,
  product_bugs: productBugs,
};

process.on('SIGINT', () => {
  log('interrupted');
  process.exit(130); // the 'exit' handler kills the server
});

try {
  await main();
} catch (err) {
  failures.push(`bench aborted: ${err.message}`);
  if (err instanceof ProductError) productBugs.push({ message: err.message, ...err.exchange });
  log(err.stack ?? String(err));
  if (server) {
    const tail = server.logTail();
    if (tail.length) log(`last server output:\n${tail.join('\n')}`);
  }
} finally {
  await finish();
}

async function main() {
  const expectedW1 = JSON.parse(readFileSync(path.join(FIXTURES, 'customers-10.mapped.json'), 'utf8'));
  const payloadW1 = readFileSync(path.join(FIXTURES, 'customers-10.payload.json'), 'utf8');
  const flowDoc = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'flows', 'customers-to-crm.json'), 'utf8'));

  sink = await startSink();
  sink.expect(expectedW1);

  // 1. The product, on a fresh data dir and a free port.
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-'));
  const profDir = process.env.WEFT_BENCH_PROFILE_DIR ?? path.join(import.meta.dirname, 'results', 'profiles');
  if (args['cpu-prof']) mkdirSync(profDir, { recursive: true });
  if (DISTRIBUTED) {
    place = await distributedPlace({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL });
    log(`distributed: schema ${place.schema} on ${DATABASE_URL}, Redis prefix ${place.prefix} on ${REDIS_URL}`);
  }
  const launch = async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = (DISTRIBUTED ? startCluster : startServer)({
      cwd: ROOT,
      workers: WORKERS,
      nodeArgs: args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
      env: {
        ...place?.env,
        WEFT_PORT: String(port),
        WEFT_HOST: '127.0.0.1',
        WEFT_DATA_DIR: dataDir,
        WEFT_EGRESS_ALLOW: '127.0.0.1',
        WEFT_LOG_LEVEL: 'warn',
        // W2's 8 MiB payload travels as a JSON string inside {"payload": …}; escaping makes the
        // body ~9 MiB, above the 8 MiB default.
        WEFT_BODY_LIMIT_BYTES: String(16 * MB),
        // One company starts thousands of runs a second here: the per-company start rate (240/min by
        // default) and the queued-runs allowance are lifted, or the bench would measure the limits.
        WEFT_START_RATE_PER_MINUTE: '0',
        WEFT_QUEUED_RUNS_MAX: '0',
        ...extraEnv,
      },
    });
    const tSpawn = performance.now();
    await server.waitListening(`${base}/api/v1/flows`, 30_000);
    log(
      `server pid ${server.pids?.join(', ') ?? server.pid} listening on ${base} after ${Math.round(performance.now() - tSpawn)} ms (data in ${dataDir})`,
    );
    return base;
  };
  const base = await launch();
  const tFresh = performance.now();
  await sleep(1000);
  const freshIdle = server.medianRss(tFresh);
  // 2-3. An account, a token, the W1 flow pointed at the sink, deployed and enabled.
  const api = apiClient(base);
  const email = `bench-${Date.now()}@bench.test`;
  await api('POST', '/api/v1/register', { body: { company: 'Bench Ltd', name: 'Bench Runner', email, password: PASSWORD }, expect: [201] });
  const login = await api('POST', '/api/v1/login', { body: { email, password: PASSWORD }, expect: [200] });
  if (typeof login?.token !== 'string') throw new ProductError('login answered without a token', { response: login });
  api.token = login.token;

  flowDoc.definition.variables = { ...flowDoc.definition.variables, crm_url: `http://127.0.0.1:${sink.port}/customers` };
  const send = flowDoc.definition.steps.find((s) => s.shape === 'connector');
  // The run id in the URL lets the sink tie each delivery to the start answer that accepted it.
  send.config.request.url = '[[flow.crm_url]]?run=[[run.id]]';
  const imported = await api('POST', '/api/v1/flows/import', { body: flowDoc, expect: [200, 201] });
  const flowId = imported?.data?.id;
  if (typeof flowId !== 'string') throw new ProductError('import answered without data.id', { response: imported });
  const flow = await api('GET', `/api/v1/flows/${flowId}`, { expect: [200] });
  const draft = flow?.data?.draft_version_id;
  if (typeof draft !== 'string') throw new ProductError('GET flow answered without data.draft_version_id', { response: flow });
  await api('POST', `/api/v1/flow-versions/${draft}/deploy`, { body: { enable: true }, expect: [200] });
  log(`flow ${flowId} deployed and enabled; sink on 127.0.0.1:${sink.port}`);

  // Idle: the server with its account and flow, before any run.
  await sleep(QUICK ? 1000 : 2000);
  const tIdle = performance.now();
  await sleep(1000);
  const parts = server.rssParts ? server.rssParts() : readRssParts(server.pid);
  results.idle = {
    rss_mb: toMB(server.medianRss(tIdle)),
    peak_rss_mb: toMB(server.peakRss(tIdle)),
    anon_mb: toMB(parts?.anon),
    file_mb: toMB(parts?.file),
    fresh_rss_mb: toMB(freshIdle),
    by_process_mb: byProcess(server.medianRssByProcess?.(tIdle)),
  };
  log(
    `idle RSS ${fmt(results.idle.rss_mb)} MB (${fmt(results.idle.anon_mb)} anon + ${fmt(results.idle.file_mb)} file); ${fmt(results.idle.fresh_rss_mb)} MB before the account and flow`,
  );

  // 4. W1 at each concurrency, each drained before the next.
  const startPath = `/api/v1/flows/${flowId}/start`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${api.token}` };
  const allAccepted = new Set();
  for (const c of W1_CONCURRENCY) {
    const phase = await w1Phase({
      name: `W1 c${c}`,
      base,
      path: startPath,
      headers,
      body: payloadW1,
      connections: c,
      durationS: DURATION_S,
      allAccepted,
    });
    results.phases.push(phase);
    if (server.exited) throw new Error(`the server exited during ${phase.name}: ${JSON.stringify(server.exited)}`);
  }
  const unknown = [...sink.deliveries.keys()].filter((id) => !allAccepted.has(id)).length;
  results.w1_deliveries_of_unanswered_starts = unknown;

  // 5. W2: one large payload through the same flow, on the server restarted (same data, flow
  // and account), so its idle baseline is an idle server's and not what W1 left in the heap.
  await stopServer();
  const base2 = await launch();
  // The token should survive the restart (the signing key is stored with the data); logging in
  // again only if it does not keeps an extra password hash out of the idle baseline.
  const api2 = apiClient(base2);
  api2.token = api.token;
  const probe = await fetch(`${base2}/api/v1/flows/${flowId}`, {
    headers: { authorization: `Bearer ${api.token}` },
    signal: AbortSignal.timeout(10_000),
  });
  await probe.arrayBuffer();
  if (probe.status !== 200) {
    log(`the token from before the restart answered ${probe.status}; logging in again`);
    api2.token = (await api2('POST', '/api/v1/login', { body: { email, password: PASSWORD }, expect: [200] })).token;
  }
  results.w2 = await w2Phase({ base: base2, path: startPath, headers: { ...headers, authorization: `Bearer ${api2.token}` } });
}

/** Stops the server, keeping what it printed for the results. */
async function stopServer() {
  if (!server) return;
  const lines = server.logLines();
  const tail = server.logTail();
  results.server_exits = [...(results.server_exits ?? []), await server.stop(10_000)];
  results.server_log_lines = (results.server_log_lines ?? 0) + lines;
  results.server_log_tail = [...(results.server_log_tail ?? []), ...tail].slice(-20);
  server = undefined;
}

function apiClient(base) {
  const api = async (method, urlPath, { body, expect }) => {
    const request = { method, url: `${base}${urlPath}`, body };
    let res;
    let text;
    try {
      res = await fetch(request.url, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(api.token ? { authorization: `Bearer ${api.token}` } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      text = await res.text();
    } catch (err) {
      throw new Error(`${method} ${urlPath}: ${err.message}`);
    }
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!expect.includes(res.status)) {
      throw new ProductError(`${method} ${urlPath} answered ${res.status}, expected ${expect.join(' or ')}`, {
        request: { ...request, body: request.body && urlPath.includes('login') ? { ...request.body, password: '…' } : request.body },
        response: { status: res.status, body: text.slice(0, 2000) },
      });
    }
    return json;
  };
  api.token = undefined;
  return api;
}

async function w1Phase({ name, base, path: urlPath, headers, body, connections, durationS, allAccepted }) {
  log(`${name}: ${connections} connections for ${durationS} s`);
  const accepted = new Map(); // runId → performance.now() when its answer arrived
  const statuses = {};
  const latencies = [];
  const rejectSamples = [];
  let withoutRunId = 0;
  let repeatedRunIds = 0;
  const badBefore = sink.stats.bad;
  const dupBefore = sink.stats.duplicates;
  const cpu0 = serverCpuSeconds();
  const benchCpu0 = process.cpuUsage();
  const t0 = performance.now();

  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        connections,
        pipelining: 1,
        duration: durationS,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: urlPath,
            headers,
            body,
            onResponse(status, text) {
              const t = performance.now();
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (status >= 200 && status < 300) {
                let id;
                try {
                  id = JSON.parse(text).flow_run_id;
                } catch {}
                if (typeof id !== 'string') {
                  withoutRunId++;
                  if (rejectSamples.length < 3) rejectSamples.push({ status, body: text.slice(0, 500) });
                } else if (accepted.has(id)) repeatedRunIds++;
                else {
                  accepted.set(id, t);
                  allAccepted.add(id);
                }
              } else if (status !== 429 && rejectSamples.length < 3) rejectSamples.push({ status, body: text.slice(0, 500) });
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
    });
    setTimeout(() => instance.stop(), (durationS + 20) * 1000).unref();
  });
  const tLoadEnd = performance.now();
  const cpuLoad = serverCpuSeconds();
  const benchCpu = process.cpuUsage(benchCpu0);

  // Drain: every accepted run must reach the sink (bounded; gives up early when nothing arrives).
  const delivered = () => {
    let n = 0;
    for (const id of accepted.keys()) if (sink.deliveries.has(id)) n++;
    return n;
  };
  let lastCount = -1;
  let lastChange = performance.now();
  let deliveredCount = 0;
  // W1 drains stop early enough to leave W2 its time.
  const drainDeadline = until(DRAIN_MAX_MS, 75_000);
  for (;;) {
    deliveredCount = delivered();
    if (deliveredCount === accepted.size || server.exited) break;
    const now = performance.now();
    if (sink.stats.requests !== lastCount) {
      lastCount = sink.stats.requests;
      lastChange = now;
    }
    if (now > drainDeadline || now - lastChange > DRAIN_STALL_MS) break;
    await sleep(50);
  }
  const stalled = performance.now() - lastChange > DRAIN_STALL_MS;
  const tDrained = performance.now();
  const cpuEnd = serverCpuSeconds();

  let firstAccept = Number.POSITIVE_INFINITY;
  let lastDelivery = Number.NEGATIVE_INFINITY;
  const a2d = [];
  for (const [id, tAccept] of accepted) {
    if (tAccept < firstAccept) firstAccept = tAccept;
    const d = sink.deliveries.get(id);
    if (!d) continue;
    if (d.t > lastDelivery) lastDelivery = d.t;
    a2d.push(d.t - tAccept);
  }
  const non2xx = Object.entries(statuses).filter(([s]) => Number(s) < 200 || Number(s) >= 300);
  const rejected429 = statuses[429] ?? 0;
  const otherNon2xx = non2xx.filter(([s]) => s !== '429').reduce((n, [, k]) => n + k, 0);
  const bad = sink.stats.bad - badBefore;
  const phase = {
    name,
    connections,
    duration_s: result.duration,
    starts_sent: result.requests.sent,
    accepted: accepted.size,
    delivered: deliveredCount,
    starts_per_s: accepted.size / result.duration,
    runs_per_s: deliveredCount > 0 ? deliveredCount / ((lastDelivery - firstAccept) / 1000) : 0,
    accept_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
    accept_to_delivery_ms: { p50: percentile(a2d, 50), p99: percentile(a2d, 99), max: percentile(a2d, 100) },
    drain_ms: tDrained - tLoadEnd,
    peak_rss_mb: toMB(server.peakRss(t0, tDrained)),
    peak_rss_by_process_mb: byProcess(server.peakRssByProcess?.(t0, tDrained)),
    server_cpu_pct_load: cpuLoad !== undefined && cpu0 !== undefined ? (100 * (cpuLoad - cpu0)) / ((tLoadEnd - t0) / 1000) : undefined,
    bench_cpu_pct_load: (100 * (benchCpu.user + benchCpu.system)) / 1000 / (tLoadEnd - t0),
    server_cpu_s: cpuEnd !== undefined && cpu0 !== undefined ? cpuEnd - cpu0 : undefined,
    statuses,
    rejected_429: rejected429,
    other_non_2xx: otherNon2xx,
    answers_without_run_id: withoutRunId,
    repeated_run_ids: repeatedRunIds,
    connection_errors: result.errors,
    timeouts: result.timeouts,
    bad_bodies: bad,
    duplicate_deliveries: sink.stats.duplicates - dupBefore,
    reject_samples: rejectSamples,
  };
  // Load and drain together, so the figure covers the whole of every delivered run.
  phase.server_cpu_ms_per_run =
    phase.server_cpu_s !== undefined && deliveredCount > 0 ? (1000 * phase.server_cpu_s) / deliveredCount : undefined;
  phase.delivered_all = phase.delivered === phase.accepted;
  phase.correct =
    phase.delivered_all &&
    bad === 0 &&
    otherNon2xx === 0 &&
    withoutRunId === 0 &&
    repeatedRunIds === 0 &&
    result.errors === 0 &&
    result.timeouts === 0;
  if (!phase.delivered_all) {
    failures.push(
      `${name}: ${phase.delivered} of ${phase.accepted} accepted runs delivered; ` +
        (server.exited
          ? 'the server exited'
          : stalled
            ? `nothing arrived at the sink for ${DRAIN_STALL_MS / 1000} s`
            : "deliveries were still arriving when the bench's time ran out"),
    );
  }
  if (bad > 0) failures.push(`${name}: ${bad} deliveries with a wrong body`);
  if (otherNon2xx > 0) {
    failures.push(`${name}: ${otherNon2xx} start answers neither 2xx nor 429 (${non2xx.map(([s, k]) => `${k}× ${s}`).join(', ')})`);
    productBugs.push({
      message: `${name}: start answered non-2xx`,
      request: { method: 'POST', url: `${base}${urlPath}`, body: '<customers-10.payload.json>' },
      responses: rejectSamples,
    });
  }
  if (withoutRunId > 0) failures.push(`${name}: ${withoutRunId} 2xx start answers without a flow_run_id`);
  if (repeatedRunIds > 0) failures.push(`${name}: ${repeatedRunIds} start answers repeated an earlier flow_run_id`);
  if (result.errors > 0 || result.timeouts > 0)
    failures.push(`${name}: ${result.errors} connection errors, ${result.timeouts} timeouts on start requests`);
  log(
    `${name}: ${phase.accepted} accepted (${fmt(phase.starts_per_s, 0)}/s), ${phase.delivered} delivered (${fmt(phase.runs_per_s, 0)} runs/s), ` +
      `accept p99 ${fmt(phase.accept_ms.p99)} ms, drain ${fmt(phase.drain_ms, 0)} ms`,
  );
  return phase;
}

async function w2Phase({ base, path: urlPath, headers }) {
  const { records, json } = customers(W2_RECORDS, W2_TARGET_BYTES);
  sink.expect(expectedMapping(records));
  const body = JSON.stringify({ payload: json });
  const payloadBytes = Buffer.byteLength(json);
  log(`W2: ${W2_RECORDS} records, payload ${fmt(payloadBytes / MB, 2)} MiB, request body ${fmt(Buffer.byteLength(body) / MB, 2)} MiB`);

  // Baseline: the freshly started server, idle.
  await sleep(QUICK ? 1000 : 2000);
  const tBase = performance.now();
  await sleep(1000);
  const baseline = server.medianRss(tBase);

  const t0 = performance.now();
  let res;
  let text;
  try {
    res = await fetch(`${base}${urlPath}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(60_000) });
    text = await res.text();
  } catch (err) {
    failures.push(`W2: the start request failed: ${err.message}`);
    return { records: W2_RECORDS, payload_mb: payloadBytes / MB, correct: false };
  }
  const tAccept = performance.now();
  let runId;
  try {
    runId = JSON.parse(text).flow_run_id;
  } catch {}
  if (res.status !== 200 || typeof runId !== 'string') {
    failures.push(`W2: start answered ${res.status}`);
    productBugs.push({
      message: `W2: start answered ${res.status}`,
      request: { method: 'POST', url: `${base}${urlPath}`, body: `<${W2_RECORDS} records, ${Buffer.byteLength(body)} bytes>` },
      response: { status: res.status, body: text.slice(0, 2000) },
    });
    return { records: W2_RECORDS, payload_mb: payloadBytes / MB, correct: false };
  }

  const deadline = until(120_000, 15_000);
  while (!sink.deliveries.has(runId) && performance.now() < deadline && !server.exited) await sleep(20);
  const delivery = sink.deliveries.get(runId);
  // Keep sampling until the run is recorded as finished, so the peak covers the whole run.
  let status;
  const finishDeadline = until(30_000, 10_000);
  while (performance.now() < finishDeadline && !server.exited) {
    try {
      const r = await fetch(`${base}/api/v1/flow-runs/${runId}`, {
        headers: { authorization: headers.authorization },
        signal: AbortSignal.timeout(10_000),
      });
      status = (await r.json())?.data?.status;
    } catch {}
    if (['success', 'failure', 'partial_success', 'stopped'].includes(status)) break;
    await sleep(100);
  }
  await sleep(300);
  const peak = server.peakRss(t0);
  const w2 = {
    records: W2_RECORDS,
    payload_mb: payloadBytes / MB,
    request_mb: Buffer.byteLength(body) / MB,
    accept_s: (tAccept - t0) / 1000,
    seconds: delivery ? (delivery.t - t0) / 1000 : undefined,
    run_status: status,
    baseline_rss_mb: toMB(baseline),
    peak_rss_mb: toMB(peak),
    baseline_rss_by_process_mb: byProcess(server.medianRssByProcess?.(tBase)),
    peak_rss_by_process_mb: byProcess(server.peakRssByProcess?.(t0)),
    rss_above_idle_mb: toMB(peak - baseline),
    rss_above_idle_x_payload: (peak - baseline) / payloadBytes,
    delivered: Boolean(delivery),
    body_correct: Boolean(delivery?.good),
  };
  w2.correct = w2.delivered && w2.body_correct;
  if (!w2.delivered) failures.push(`W2: the run was not delivered (run ${runId}, status ${status})`);
  else if (!w2.body_correct) failures.push('W2: the delivered body differs from the expected mapping');
  if (w2.delivered && status !== 'success')
    failures.push(`W2: run ${runId} was delivered but its status is ${status ?? 'unknown'} (not success)`);
  log(
    `W2: delivered in ${fmt(w2.seconds, 2)} s; peak RSS ${fmt(w2.peak_rss_mb)} MB (${fmt(w2.rss_above_idle_mb)} MB above the restarted server's idle ${fmt(w2.baseline_rss_mb)} MB)`,
  );
  return w2;
}

async function finish() {
  clearTimeout(watchdog);
  await stopServer();
  if (sink) {
    results.sink = { ...sink.stats, bad_samples: sink.badSamples };
    await sink.close();
  }
  results.correct = failures.length === 0;
  results.budgets = budgets();
  report();

  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${results.started_at.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(path.join(dir, 'latest.json'), text);
  if (args.out) writeFileSync(args.out, text);
  console.log(`\nresults: ${path.relative(process.cwd(), file)} (and bench/results/latest.json)`);

  if (dataDir) {
    if (args['keep-data'] || failures.length > 0) console.log(`data dir kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  if (place) {
    if (args['keep-data'] || failures.length > 0) console.log(`PostgreSQL schema ${place.schema} and Redis prefix ${place.prefix} kept`);
    else await place.remove().catch((err) => log(`could not remove schema ${place.schema} / prefix ${place.prefix}: ${err.message}`));
  }
  process.exitCode = failures.length > 0 ? 1 : 0;
  // Nothing should keep the loop alive now; if something does, do not hang.
  setTimeout(() => process.exit(process.exitCode), 2000).unref();
}

function budgets() {
  const out = [];
  const c50 = results.phases.find((p) => p.connections === 50);
  const add = (what, value, unit, limit, held) =>
    out.push({ what, value, unit, limit, held: value === undefined || Number.isNaN(value) ? undefined : held });
  add('W1 c50 runs/s completed', c50?.runs_per_s, 'runs/s', `>= ${BUDGETS.w1RunsPerS}`, c50?.runs_per_s >= BUDGETS.w1RunsPerS);
  add('W1 c50 accept p99', c50?.accept_ms.p99, 'ms', `< ${BUDGETS.w1AcceptP99Ms}`, c50?.accept_ms.p99 < BUDGETS.w1AcceptP99Ms);
  add('idle RSS', results.idle?.rss_mb, 'MB', `< ${BUDGETS.idleRssMB}`, results.idle?.rss_mb < BUDGETS.idleRssMB);
  const loadPeak = results.phases.length ? Math.max(...results.phases.map((p) => p.peak_rss_mb ?? 0)) : undefined;
  add('RSS at load (W1 peak)', loadPeak, 'MB', `< ${BUDGETS.loadRssMB}`, loadPeak < BUDGETS.loadRssMB);
  add(
    'W2 peak RSS above idle',
    results.w2?.rss_above_idle_x_payload,
    '× payload',
    `< ${BUDGETS.w2RssTimesPayload}×`,
    results.w2?.rss_above_idle_x_payload < BUDGETS.w2RssTimesPayload,
  );
  return out;
}

function report() {
  const yn = (b) => (b === undefined ? '-' : b ? 'yes' : 'NO');
  console.log(
    `\nWeft benchmark (quality.md §4), ${MODE}, ${results.cpus} cores, Node ${results.node}, commit ${results.commit ?? '?'}${QUICK ? ', QUICK' : ''}`,
  );
  const idle = results.idle;
  console.log(
    `W1: ${DURATION_S} s per phase; idle RSS ${fmt(idle?.rss_mb)} MB with an account and a deployed flow ` +
      `(${fmt(idle?.anon_mb)} anon + ${fmt(idle?.file_mb)} file-backed), ${fmt(idle?.fresh_rss_mb)} MB just after start\n`,
  );
  const rows = [
    [
      'phase',
      'starts/s',
      'runs/s',
      'acc p50 ms',
      'acc p99 ms',
      'a→d p50 ms',
      'a→d p99 ms',
      'peak RSS MB',
      'srv CPU %',
      'srv CPU ms/run',
      'bench CPU %',
      'accepted',
      'delivered',
      'del==acc',
      'bad',
      '429',
      'other non-2xx',
    ],
  ];
  for (const p of results.phases) {
    rows.push([
      p.name,
      fmt(p.starts_per_s, 0),
      fmt(p.runs_per_s, 0),
      fmt(p.accept_ms.p50),
      fmt(p.accept_ms.p99),
      fmt(p.accept_to_delivery_ms.p50),
      fmt(p.accept_to_delivery_ms.p99),
      fmt(p.peak_rss_mb),
      fmt(p.server_cpu_pct_load, 0),
      fmt(p.server_cpu_ms_per_run, 2),
      fmt(p.bench_cpu_pct_load, 0),
      String(p.accepted),
      String(p.delivered),
      yn(p.delivered_all),
      String(p.bad_bodies),
      String(p.rejected_429),
      String(p.other_non_2xx + p.connection_errors + p.timeouts),
    ]);
  }
  console.log(table(rows));
  const w2 = results.w2;
  if (w2) {
    console.log('');
    console.log(
      table([
        [
          'W2 (restarted server)',
          'records',
          'payload MiB',
          'accept s',
          'start→delivery s',
          'idle RSS MB',
          'peak RSS MB',
          'above idle MB',
          '× payload',
          'correct',
        ],
        [
          'map → deliver',
          String(w2.records),
          fmt(w2.payload_mb, 2),
          fmt(w2.accept_s, 2),
          fmt(w2.seconds, 2),
          fmt(w2.baseline_rss_mb),
          fmt(w2.peak_rss_mb),
          fmt(w2.rss_above_idle_mb),
          fmt(w2.rss_above_idle_x_payload, 1),
          yn(w2.correct),
        ],
      ]),
    );
  }
  if (DISTRIBUTED) printRssByProcess();
  console.log('');
  console.log(
    table([
      ['budget (quality.md §4)', 'figure', 'limit', 'held'],
      ...results.budgets.map((b) => [
        b.what,
        `${fmt(b.value, b.unit === 'runs/s' ? 0 : 1)} ${b.unit}`,
        `${b.limit} ${b.unit === '× payload' ? 'payload' : b.unit}`,
        b.held === undefined ? 'not measured' : b.held ? 'held' : 'MISSED',
      ]),
      ['engine step (10-record map)', 'npm run bench -- --engine', '< 50 µs', '-'],
    ]),
  );
  console.log('');
  if (results.w1_deliveries_of_unanswered_starts)
    console.log(
      `note: ${results.w1_deliveries_of_unanswered_starts} deliveries were of starts in flight when a phase ended (their answers were not read); not counted.`,
    );
  const refused = results.phases.reduce((n, p) => n + p.rejected_429, 0);
  if (refused)
    console.log(`note: ${refused} starts were refused with 429 (the company start rate); the figures measure the limit, not the product.`);
  console.log('note: CPU % is of one core (200 = both); "srv" is the product, "bench" the load generator and sink.');
  if (DISTRIBUTED)
    console.log(
      'note: distributed mode: "srv" CPU and RSS are the sums over the api and worker processes (RSS: the sum of each one\'s peak); PostgreSQL and Redis are not counted. The budgets are set for embedded mode.',
    );
  console.log('note: the server runs with WEFT_START_RATE_PER_MINUTE=0 and WEFT_QUEUED_RUNS_MAX=0 (per-company start limits lifted).');
  const dups = results.phases.reduce((n, p) => n + p.duplicate_deliveries, 0);
  if (dups) console.log(`note: ${dups} duplicate deliveries (same run delivered more than once).`);
  if (results.server_log_lines)
    console.log(
      `note: the server wrote ${results.server_log_lines} lines of output (log level warn); last: ${results.server_log_tail.at(-1)}`,
    );
  console.log(`correctness: ${failures.length === 0 ? 'OK (every accepted run delivered, every body correct)' : 'FAILED'}`);
  for (const f of failures) console.log(`  - ${f}`);
  for (const b of productBugs) console.log(`  product: ${JSON.stringify(b).slice(0, 1500)}`);
}

/** Distributed mode: the RSS of every process, idle and at each phase's peak. */
function printRssByProcess() {
  const names = Object.keys(results.idle?.by_process_mb ?? results.phases[0]?.peak_rss_by_process_mb ?? {});
  if (names.length === 0) return;
  const row = (label, mb) => [label, ...names.map((n) => fmt(mb?.[n])), fmt(names.reduce((t, n) => t + (mb?.[n] ?? 0), 0))];
  const rows = [['RSS MB by process', ...names, 'sum']];
  if (results.idle) rows.push(row('idle (median)', results.idle.by_process_mb));
  for (const p of results.phases) rows.push(row(`${p.name} peak`, p.peak_rss_by_process_mb));
  if (results.w2) {
    rows.push(row('W2 restarted, idle (median)', results.w2.baseline_rss_by_process_mb));
    rows.push(row('W2 peak', results.w2.peak_rss_by_process_mb));
  }
  console.log('');
  console.log(table(rows));
}

/** performance.now() + ms, but no later than the bench's time budget less `reserveMs`. */
function until(ms, reserveMs) {
  return Math.min(performance.now() + ms, BENCH_START + TOTAL_BUDGET_MS - reserveMs);
}

/** CPU seconds of the product: the server, or every process of the cluster. */
function serverCpuSeconds() {
  if (!server.pids) return processCpuSeconds(server.pid);
  let total = 0;
  for (const pid of server.pids) {
    const s = processCpuSeconds(pid);
    if (s === undefined) return undefined;
    total += s;
  }
  return total;
}

/** { process name: MB } from { process name: bytes }, or undefined in embedded mode. */
function byProcess(bytesByName) {
  if (bytesByName === undefined) return undefined;
  return Object.fromEntries(Object.entries(bytesByName).map(([name, bytes]) => [name, toMB(bytes)]));
}

function toMB(bytes) {
  return bytes === undefined || Number.isNaN(bytes) ? undefined : bytes / MB;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}
