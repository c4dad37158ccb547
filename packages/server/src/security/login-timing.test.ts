import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../test-support/canary.js';
import { createTestSystem } from '../test-support/harness.js';

describe('login enumeration through timing', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
  });
  afterAll(async () => sys.close());

  it('answers an unknown email and a wrong password with the same body in similar time', async () => {
    const accounts = [];
    for (let i = 0; i < 4; i++) accounts.push(await sys.register());
    const attempt = async (email: string, i: number) => {
      const t0 = performance.now();
      // A fresh address each time: the address throttle is not what is measured.
      const res = await sys.app.inject({
        method: 'POST',
        url: '/api/v1/login',
        remoteAddress: `10.9.${i}.1`,
        payload: { email, password: `not the password at all ${CANARY}` },
      });
      return { ms: performance.now() - t0, status: res.statusCode, body: res.body };
    };
    const known: number[] = [];
    const unknown: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const k = await attempt(accounts[i % accounts.length]!.email, i * 2);
      const u = await attempt(`nobody-${i}-${Date.now()}@weft.test`, i * 2 + 1);
      expect([k.status, u.status]).toEqual([401, 401]);
      bodies.add(k.body).add(u.body);
      known.push(k.ms);
      unknown.push(u.ms);
    }
    expect(bodies.size).toBe(1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Loose bounds for a shared 2-core machine: skipping the Argon2 hash would make one side ~100× faster.
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
    expect(median(unknown)).toBeLessThan(median(known) * 3);
  });
});
