// Distributed mode for the bench (--distributed): `weft api` plus N `weft worker`s on one PostgreSQL
// schema and one Redis prefix of the bench's own, behind the same interface as one server, so
// run.mjs measures either the same way. RSS and CPU are summed over the processes; each process's
// own figures are kept too.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { readRssParts, startServer } from './server.mjs';

/** A fresh schema and Redis prefix on the given servers, and a way to remove them afterwards. */
export async function distributedPlace({ databaseUrl, redisUrl }) {
  const id = randomBytes(4).toString('hex');
  const schema = `weft_bench_${id}`;
  const prefix = `weft-bench-${id}`;
  // Fail early, with the address, when a service is not there.
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`--distributed needs PostgreSQL at ${databaseUrl} (--database-url): ${err.message}`);
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`--distributed needs Redis at ${redisUrl} (--redis-url): ${err.message}`);
  } finally {
    redis.disconnect();
  }
  return {
    schema,
    prefix,
    env: { WEFT_DATABASE_URL: databaseUrl, WEFT_DATABASE_SCHEMA: schema, WEFT_REDIS_URL: redisUrl, WEFT_REDIS_PREFIX: prefix },
    async remove() {
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      r.on('error', () => {});
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await r.del(...keys);
      } while (cursor !== '0');
      r.disconnect();
    },
  };
}

/**
 * Starts `weft api` and `workers` × `weft worker` (the API first: it migrates the schema), with
 * the server interface run.mjs uses: pid (the API's), pids, exited (the first process to exit),
 * log tail, RSS peaks and medians (sums over the processes), per-process RSS, stop.
 */
export function startCluster({ cwd, env, nodeArgs = [], workers = 2 }) {
  const procs = [{ name: 'api', server: startServer({ cwd, env, nodeArgs, args: ['api'] }) }];
  const sum = (fn) => {
    let total;
    for (const p of procs) {
      const v = fn(p.server);
      if (v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  };
  return {
    get pid() {
      return procs[0].server.pid;
    },
    get pids() {
      return procs.map((p) => p.server.pid);
    },
    get names() {
      return procs.map((p) => p.name);
    },
    get exited() {
      const gone = procs.find((p) => p.server.exited);
      return gone ? { process: gone.name, ...gone.server.exited } : null;
    },
    logTail: () => procs.flatMap((p) => p.server.logTail().map((line) => `${p.name}: ${line}`)).slice(-40),
    logLines: () => procs.reduce((n, p) => n + p.server.logLines(), 0),
    /** The sum of each process's peak in [from, to] (an upper bound of their joint peak). */
    peakRss: (from, to) => sum((s) => s.peakRss(from, to)),
    medianRss: (from, to) => sum((s) => s.medianRss(from, to)),
    peakRssByProcess: (from, to) => Object.fromEntries(procs.map((p) => [p.name, p.server.peakRss(from, to)])),
    medianRssByProcess: (from, to) => Object.fromEntries(procs.map((p) => [p.name, p.server.medianRss(from, to)])),
    rssParts() {
      const parts = procs.map((p) => readRssParts(p.server.pid));
      if (parts.some((x) => x === undefined)) return undefined;
      return { anon: parts.reduce((n, x) => n + x.anon, 0), file: parts.reduce((n, x) => n + x.file, 0) };
    },
    /** The API listening, then every worker started. */
    async waitListening(url, timeoutMs) {
      await procs[0].server.waitListening(url, timeoutMs);
      for (let i = 1; i <= workers; i++) procs.push({ name: `worker ${i}`, server: startServer({ cwd, env, nodeArgs, args: ['worker'] }) });
      await Promise.all(procs.slice(1).map((p) => p.server.waitOutput(/worker started/, timeoutMs)));
    },
    /** Workers first (they finish or give back what they hold), then the API. */
    async stop(graceMs) {
      const exits = await Promise.all(procs.slice(1).map((p) => p.server.stop(graceMs)));
      return { api: await procs[0].server.stop(graceMs), workers: exits };
    },
  };
}
