import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './exchange.js';

describe('reading Retry-After', () => {
  const now = new Date('2030-01-02T03:04:05.000Z');

  it('reads delay seconds', () => {
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the time left until it, and a past date as no wait', () => {
    expect(retryAfterMs('Wed, 02 Jan 2030 03:04:35 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 02 Jan 2030 03:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read, so the status decides', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });
});
