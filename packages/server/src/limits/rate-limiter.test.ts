import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter, RedisRateLimiter } from './rate-limiter.js';

describe('the in-memory rate limiter', () => {
  it('allows a minute of tokens at once, then refuses with the time until the next one', () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(() => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a', 60)).toBe(0);
    expect(limiter.take('a', 60)).toBe(1000);
    now += 500;
    expect(limiter.take('a', 60)).toBe(500);
    now += 500;
    expect(limiter.take('a', 60)).toBe(0);
  });

  it('keeps one bucket per key', () => {
    const limiter = new MemoryRateLimiter(() => 0);
    expect(limiter.take('a', 1)).toBe(0);
    expect(limiter.take('a', 1)).toBeGreaterThan(0);
    expect(limiter.take('b', 1)).toBe(0);
  });
});

describe.skipIf(!process.env.WEFT_TEST_REDIS_URL)('the Redis rate limiter', () => {
  const url = process.env.WEFT_TEST_REDIS_URL ?? '';

  it('shares one allowance between limiters, as between API processes', async () => {
    const prefix = `weft-test-${randomUUID()}`;
    const a = new RedisRateLimiter({ url, prefix });
    const b = new RedisRateLimiter({ url, prefix });
    try {
      const waits: number[] = [];
      for (let i = 0; i < 10; i++) waits.push(await (i % 2 === 0 ? a : b).take('company', 6));
      expect(waits.filter((w) => w === 0)).toHaveLength(6);
      expect(waits.slice(6).every((w) => w > 0 && w <= 10_000)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets requests through when Redis cannot be reached, and says so', async () => {
    const errors: unknown[] = [];
    const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:1', prefix: 'x', onError: (err) => errors.push(err) });
    try {
      expect(await limiter.take('company', 1)).toBe(0);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await limiter.close();
    }
  });
});
