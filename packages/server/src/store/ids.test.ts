import { describe, expect, it } from 'vitest';
import { idTimeMs, newId, newIdAt } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ids', () => {
  it('are UUIDv7 strings', () => {
    for (let i = 0; i < 100; i++) expect(newId()).toMatch(UUID_V7);
  });

  it('carry the time they were made at', () => {
    const now = Date.now();
    expect(Math.abs(idTimeMs(newId()) - now)).toBeLessThan(1000);
  });

  it('sort in the order they were made, even many within one millisecond', () => {
    const at = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newIdAt(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keep increasing when the clock steps back', () => {
    // Times in the past only: an id from the future would make every later id in this process
    // borrow that future time.
    const later = newIdAt(Date.now());
    const earlier = newIdAt(Date.now() - 365 * 24 * 60 * 60 * 1000);
    expect(earlier > later).toBe(true);
  });
});
