import type { Redis } from 'ioredis';
import { lazyRequire } from '../lazy-require.js';

const loadRedis = lazyRequire<typeof import('ioredis')>('ioredis');

/**
 * Token buckets, one per key: `perMinute` tokens, refilled evenly over a minute, so a quiet
 * client may burst up to a minute's allowance and a busy one gets a steady rate.
 */
export interface RateLimiter {
  /** Takes one token; 0 when allowed, otherwise the milliseconds until a token is back. */
  take(key: string, perMinute: number): number | Promise<number>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Buckets in this process's memory: embedded mode, or a single API process. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  take(key: string, perMinute: number): number {
    const now = this.#now();
    const perMs = perMinute / 60_000;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#sweep(now);
      bucket = { tokens: perMinute, atMs: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.atMs) * perMs);
      bucket.atMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / perMs);
  }

  /** Forgets buckets idle for a minute: they are full again, the same as no bucket. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (now - bucket.atMs >= 60_000) this.#buckets.delete(key);
  }

  async close(): Promise<void> {}
}

const MAX_BUCKETS = 100_000;

/**
 * The same bucket kept in Redis, so every API process draws on one allowance. One round trip per
 * check (a script run atomically on the server, with the server's clock). When Redis cannot be
 * reached the check lets the request through: the queue and the database still hold, and
 * refusing every start because the limiter is down would be worse than not limiting for a while.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #onError: (err: unknown) => void;

  constructor(options: { url: string; prefix: string; onError?: (err: unknown) => void }) {
    this.#redis = new (loadRedis().Redis)(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
    this.#redis.on('error', () => {});
    this.#redis.defineCommand('weftTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN_LUA });
    this.#prefix = options.prefix;
    this.#onError = options.onError ?? (() => {});
  }

  async take(key: string, perMinute: number): Promise<number> {
    try {
      const wait = await (this.#redis as unknown as RedisWithTake).weftTakeToken(`${this.#prefix}:ratelimit:${key}`, perMinute);
      return Number(wait);
    } catch (err) {
      this.#onError(err);
      return 0;
    }
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

interface RedisWithTake {
  weftTakeToken(key: string, perMinute: number): Promise<number | string>;
}

// KEYS[1]: the bucket (hash of tokens and time). ARGV[1]: tokens per minute. Returns 0 when a
// token was taken, else the milliseconds until one is back.
const TAKE_TOKEN_LUA = `
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
local perMs = rate / 60000
if tokens == nil then
  tokens = rate
else
  tokens = math.min(rate, tokens + (now - at) * perMs)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
`;
