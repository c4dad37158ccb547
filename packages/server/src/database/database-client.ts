import { createHash } from 'node:crypto';
import { createEgressPolicy, type DatabaseClient, type DatabaseTarget } from '@weft/engine';
import { connectionTarget, type Lookup, systemLookup } from './connection-target.js';
import { type DriverPool, openPool } from './drivers.js';

export interface DatabaseClientOptions {
  /** WEFT_EGRESS_ALLOW: database hosts are guarded like HTTP targets. */
  allow: readonly string[];
  /** Connections per instance pool. Default 5. */
  poolSize?: number;
  connectTimeoutMs?: number;
  lookup?: Lookup;
}

interface Entry {
  fingerprint: string;
  pool: Promise<DriverPool>;
}

/**
 * The engine's `databases` port: one pool per instance, opened on first use. A changed URL or
 * credential (the instance was edited) opens a fresh pool and ends the old one; close() ends all.
 */
export function createDatabaseClient(options: DatabaseClientOptions): DatabaseClient {
  const policy = createEgressPolicy(options.allow);
  const lookup = options.lookup ?? systemLookup;
  const poolOptions = { size: options.poolSize ?? 5, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 };
  const pools = new Map<string, Entry>();
  let closed = false;

  function poolFor(target: DatabaseTarget): Promise<DriverPool> {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([target.protocol, target.url, target.username ?? null, target.password ?? null]))
      .digest('hex');
    const existing = pools.get(target.key);
    if (existing !== undefined && existing.fingerprint === fingerprint) return existing.pool;
    if (existing !== undefined) void existing.pool.then((p) => p.end()).catch(() => {});
    const pool = connectionTarget(target, policy, lookup).then((resolved) => openPool(resolved, poolOptions));
    // A refused address or unresolvable host is not cached: the next run checks again.
    pool.catch(() => {
      if (pools.get(target.key)?.pool === pool) pools.delete(target.key);
    });
    pools.set(target.key, { fingerprint, pool });
    return pool;
  }

  return {
    async query(target, statement, { timeoutMs }) {
      if (closed) throw new Error('the database client is closed');
      return (await poolFor(target)).query(statement, timeoutMs);
    },
    async execute(target, statements, { timeoutMs }) {
      if (closed) throw new Error('the database client is closed');
      return (await poolFor(target)).transaction(statements, timeoutMs);
    },
    async close() {
      closed = true;
      const entries = [...pools.values()];
      pools.clear();
      await Promise.allSettled(entries.map(async (e) => (await e.pool).end()));
    },
  };
}
