import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect } from 'vitest';
import { findCanaryLeaks, leakError } from '../../packages/server/src/test-support/canary.js';
import { apiClient, type Delivery, freePort, WEFT_BIN } from './weft-process.js';

/**
 * Shared parts of the fault tests (fault-*.test.ts): a distributed cluster of real `weft`
 * processes on its own PostgreSQL schema and Redis prefix, private Redis and PostgreSQL servers
 * for the faults that would hurt everyone else (FLUSHALL, a database restart), a delivery sink,
 * and the checks of quality.md §1.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined/false; fails with `what()` at the deadline. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await sleep(100);
  }
}

export interface WeftProcess {
  child: ChildProcess;
  ready: Promise<void>;
  output(): string;
}

/**
 * `weft <args>` as a real process, as startWeft in weft-process.ts, but with room to start on a
 * loaded machine: these tests restart processes many times while others run beside them.
 */
export function spawnWeft(env: Record<string, string>, args: string[], readyTimeoutMs = 90_000): WeftProcess {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], {
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('listening on') || out.includes('worker started')) resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) =>
      reject(new Error(`weft ${args.join(' ')} exited (${code ?? signal}) before it was ready: ${out}`)),
    );
    setTimeout(() => reject(new Error(`weft ${args.join(' ')} was not ready after ${readyTimeoutMs} ms: ${out}`)), readyTimeoutMs).unref();
  });
  // Awaited by the caller; a process killed later must not leave an unhandled rejection behind.
  ready.catch(() => {});
  return { child, ready, output: () => out };
}

export interface Cluster {
  base: string;
  schema: string;
  prefix: string;
  env: Record<string, string>;
  /** The processes started with the API for `workers`, in order. */
  workers: WeftProcess[];
  /** Starts `weft <args>` on the cluster's settings (plus `extraEnv`) and waits until it is ready. */
  spawn(args: string[], extraEnv?: Record<string, string>): Promise<WeftProcess>;
  /** SIGKILL, resolved once the process is gone; returns the moment it was. */
  kill(p: WeftProcess): Promise<number>;
  /** Run counts by status, read from the database (the truth, and one query for 500 runs). */
  statuses(): Promise<Record<string, number>>;
  /** Status of every run, by id. */
  runStatuses(): Promise<Map<string, string>>;
  /** How many times each run was claimed by a worker, by id. */
  runClaims(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/**
 * A fresh schema, Redis prefix and data dir, with `weft api` and one `weft <args>` per entry of
 * `workers` started on them together (the migration's advisory lock makes them take turns on the
 * fresh schema). Every process started through it is killed by close().
 */
export async function startCluster(opts: {
  databaseUrl: string;
  redisUrl: string;
  env?: Record<string, string>;
  workers?: string[][];
}): Promise<Cluster> {
  const id = randomBytes(5).toString('hex');
  const schema = `weft_fault_${id}`;
  const prefix = `weft-fault-${id}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-fault-'));
  const children: ChildProcess[] = [];
  const processes: WeftProcess[] = [];
  const port = await freePort();
  const env: Record<string, string> = {
    WEFT_DATA_DIR: dataDir,
    WEFT_PORT: String(port),
    WEFT_DATABASE_URL: opts.databaseUrl,
    WEFT_DATABASE_SCHEMA: schema,
    WEFT_DATABASE_POOL_SIZE: '4',
    WEFT_REDIS_URL: opts.redisUrl,
    WEFT_REDIS_PREFIX: prefix,
    WEFT_EGRESS_ALLOW: '127.0.0.1',
    WEFT_LEASE_MS: '1500',
    WEFT_RETRY_BASE_MS: '50',
    // One key for every process, as a deployment on several machines needs (each would otherwise
    // generate its own key file under its data dir); it also keeps processes that start together
    // from racing to create that file.
    WEFT_CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    // The tests start hundreds of runs in seconds: no per-company start rate or backlog limit.
    WEFT_START_RATE_PER_MINUTE: '0',
    WEFT_QUEUED_RUNS_MAX: '0',
    ...opts.env,
  };
  const db = new pg.Pool({ connectionString: opts.databaseUrl, max: 1 });
  db.on('error', () => {});
  const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  const kill = async (p: WeftProcess) => {
    if (alive(p.child)) {
      const gone = new Promise((r) => p.child.once('exit', r));
      p.child.kill('SIGKILL');
      await gone;
    }
    return Date.now();
  };
  const cluster: Cluster = {
    base: `http://127.0.0.1:${port}`,
    schema,
    prefix,
    env,
    workers: [],
    async spawn(args, extraEnv = {}) {
      const weft = spawnWeft({ ...env, ...extraEnv }, args);
      children.push(weft.child);
      processes.push(weft);
      await weft.ready;
      return weft;
    },
    kill,
    async statuses() {
      const { rows } = await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM "${schema}".runs GROUP BY status`);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async runStatuses() {
      const { rows } = await db.query<{ id: string; status: string }>(`SELECT id, status FROM "${schema}".runs`);
      return new Map(rows.map((r) => [r.id, r.status]));
    },
    async runClaims() {
      const { rows } = await db.query<{ id: string; attempts: number }>(`SELECT id, attempts FROM "${schema}".runs`);
      return new Map(rows.map((r) => [r.id, Number(r.attempts)]));
    },
    async close() {
      for (const c of children) if (alive(c)) c.kill('SIGKILL');
      await Promise.all(children.map((c) => (alive(c) ? new Promise((r) => c.once('exit', r)) : null)));
      // Leak canaries, before the data goes: the data dir, the schema and all the processes printed.
      // A private PostgreSQL already stopped by its test cannot be read; the rest is scanned all the same.
      const leaks = await findCanaryLeaks({
        dataDir,
        config: { databaseUrl: opts.databaseUrl, databaseSchema: schema },
        logLines: processes.map((p) => p.output()),
      }).catch(() => findCanaryLeaks({ dataDir, config: { databaseSchema: schema }, logLines: processes.map((p) => p.output()) }));
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await db.end().catch(() => {});
      const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
      redis.on('error', () => {});
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } catch {
        // A private Redis may already be stopped; nothing to clean there.
      } finally {
        redis.disconnect();
      }
      rmSync(dataDir, { recursive: true, force: true });
      const error = leakError(leaks, `cluster ${schema}`);
      if (error !== undefined) throw error;
    },
  };
  try {
    const [, ...workers] = await Promise.all([cluster.spawn(['api']), ...(opts.workers ?? []).map((args) => cluster.spawn(args))]);
    cluster.workers = workers;
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

/** Whether `redis-server` is on the PATH (the FLUSHALL test starts one of its own). */
export function hasRedisServer(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, 'redis-server')));
}

/** A Redis server of the test's own on a free port, without persistence: FLUSHALL there hurts nobody else. */
export async function startPrivateRedis(): Promise<{ url: string; flushAll(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  child.on('error', (err) => (out += String(err)));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
      try {
        if (client.status !== 'ready') await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    10_000,
    () => `redis-server on ${port} did not answer: ${out}`,
  );
  return {
    url,
    async flushAll() {
      expect(await client.flushall()).toBe('OK');
    },
    async stop() {
      client.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}

/** Where initdb and pg_ctl live, or why a private PostgreSQL cannot be started here. */
export function postgresBinaries(): { bin: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions
    .map((v) => path.join(root, v, 'bin'))
    .find((b) => existsSync(path.join(b, 'initdb')) && existsSync(path.join(b, 'pg_ctl')));
  if (bin === undefined) return { missing: `no initdb and pg_ctl under ${root}/*/bin (install the PostgreSQL server package)` };
  // PostgreSQL refuses to run as root; as root the cluster runs as the `postgres` user.
  if (
    process.getuid?.() === 0 &&
    !readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((line) => line.startsWith('postgres:'))
  )
    return { missing: 'no `postgres` user to run PostgreSQL as (the test runs as root, which PostgreSQL refuses)' };
  return { bin };
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp dir, a free port, trust auth), so the
 * test can crash and restart it without touching the shared server. Runs as the `postgres` user
 * when the test runs as root (PostgreSQL refuses to run as root).
 */
export async function startPrivatePostgres(
  bin: string,
): Promise<{ url: string; crash(): Promise<void>; start(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o777);
  }
  const run = (tool: string, args: string[]) => {
    const cmd = path.join(bin, tool);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
      : execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  };
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // fsync off: the test crashes the server process, never the machine, so the OS keeps what was written.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const start = async () => {
    run('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** An immediate shutdown: no checkpoint, every connection cut, recovery on the next start. */
    async crash() {
      run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    async stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP target on 127.0.0.1 that records every delivery by its Idempotency-Key (as
 * startDeliverySink does), answering after `minMs`..`maxMs` so work is in flight at a fault.
 */
export async function startSink(
  minMs: number,
  maxMs: number,
): Promise<{ port: number; deliveries: Map<string, Delivery[]>; count(): number; close(): void }> {
  const deliveries = new Map<string, Delivery[]>();
  let total = 0;
  const sink = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = String(req.headers['idempotency-key']);
    const record: Delivery = {
      step: url.searchParams.get('step') ?? '',
      run: url.searchParams.get('run') ?? '',
      arrivedAt: Date.now(),
      answeredAt: null,
    };
    const list = deliveries.get(key) ?? [];
    list.push(record);
    deliveries.set(key, list);
    total++;
    req.resume();
    setTimeout(
      () => {
        if (!res.destroyed && !req.socket.destroyed) {
          res.end('{"ok":true}', () => {
            record.answeredAt = Date.now();
          });
        }
      },
      minMs + Math.random() * (maxMs - minMs),
    );
  });
  sink.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  return {
    port: (sink.address() as { port: number }).port,
    deliveries,
    count: () => total,
    close: () => {
      sink.closeAllConnections();
      sink.close();
    },
  };
}

/**
 * Signs up, deploys a flow of connector steps posting to the sink (as deployDeliveryFlow does,
 * with `timeoutSeconds` per request), and starts `count` runs, `parallel` at a time.
 */
export async function startRuns(
  base: string,
  email: string,
  sinkPort: number,
  steps: string[],
  count: number,
  { timeoutSeconds = 5, parallel = 10 }: { timeoutSeconds?: number; parallel?: number } = {},
) {
  const api = apiClient(base);
  await api.signUp(email);
  const step = (id: string) => ({
    id,
    shape: 'connector',
    config: {
      request: { method: 'POST', url: `http://127.0.0.1:${sinkPort}/deliver?step=${id}&run=[[run.id]]` },
      retries: 2,
      timeout_seconds: timeoutSeconds,
    },
  });
  const ids = ['trigger', ...steps];
  const definition = {
    steps: [{ id: 'trigger', shape: 'trigger', config: {} }, ...steps.map(step)],
    edges: ids.slice(1).map((to, i) => ({ from: ids[i]!, to })),
  };
  const created = await api.call('POST', '/api/v1/flows', { name: 'Deliveries', definition });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const flow = created.body.data as { id: string; draft_version_id: string };
  expect((await api.call('POST', `/api/v1/flow-versions/${flow.draft_version_id}/deploy`, { enable: true })).status).toBe(200);
  const flowId = flow.id;
  const accepted: string[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - i) }, (_, j) =>
        api.call('POST', `/api/v1/flows/${flowId}/start`, { payload: JSON.stringify({ n: i + j }) }),
      ),
    );
    for (const res of batch) {
      expect(res.status).toBe(200);
      accepted.push(res.body.flow_run_id as string);
    }
  }
  return { api, flowId, accepted };
}

/**
 * quality.md §1.2 and §1.3 across several kills: every accepted run delivered each step; one
 * Idempotency-Key per step of a run, the same on every retry; and a key seen more than once
 * belongs to a step that was in flight at a kill. Steps of a run are sequential, so that is, for
 * some kill, the last step of the run whose first delivery arrived before the kill's cutoff (the
 * moment after which nothing the dead process sent can still arrive, and before its leases could
 * expire). Any other repeat means a completed step was executed again. Returns how many
 * deliveries were repeats.
 */
export function expectAtLeastOnceAcrossKills(
  deliveries: Map<string, Delivery[]>,
  accepted: string[],
  steps: string[],
  cutoffs: number[],
): number {
  const keysByStep = new Map<string, Set<string>>();
  for (const [key, list] of deliveries) {
    expect(new Set(list.map((d) => `${d.run}/${d.step}`)).size, `one key, one step: ${key}`).toBe(1);
    const at = `${list[0]!.run}/${list[0]!.step}`;
    keysByStep.set(at, (keysByStep.get(at) ?? new Set()).add(key));
  }
  const firstArrival = new Map<string, number>();
  for (const [at, keys] of keysByStep) firstArrival.set(at, Math.min(...[...keys].map((k) => deliveries.get(k)![0]!.arrivedAt)));
  const inFlight = new Set<string>();
  const missing: string[] = [];
  for (const runId of accepted) {
    for (const s of steps) if (!keysByStep.has(`${runId}/${s}`)) missing.push(`${runId}/${s}`);
    for (const cutoff of cutoffs) {
      const before = steps.filter((s) => (firstArrival.get(`${runId}/${s}`) ?? Number.POSITIVE_INFINITY) < cutoff);
      if (before.length > 0) inFlight.add(`${runId}/${before.at(-1)}`);
    }
  }
  expect(missing, 'steps never delivered').toEqual([]);
  const changedKeys = [...keysByStep].filter(([, keys]) => keys.size > 1).map(([at]) => at);
  expect(changedKeys, 'steps whose retries carried different Idempotency-Keys').toEqual([]);
  let repeats = 0;
  const forbidden: string[] = [];
  for (const list of deliveries.values()) {
    if (list.length === 1) continue;
    repeats += list.length - 1;
    const at = `${list[0]!.run}/${list[0]!.step}`;
    if (!inFlight.has(at)) forbidden.push(at);
  }
  expect(forbidden, 'completed steps delivered again').toEqual([]);
  return repeats;
}
