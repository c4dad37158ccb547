import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { createHttpClient, type HttpClient, testConnection } from '@weft/engine';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialCipher, parseCredentialKey } from '../crypto/credentials.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/types.js';
import { startSink } from '../test-support/sink.js';
import { createConnectorResolver } from './connector-resolver.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const cipher = createCredentialCipher([parseCredentialKey(randomBytes(32).toString('base64'), 'test')]);

/**
 * Two "worker processes" (each its own PostgreSQL pool, resolver and HTTP client) call one
 * rate-limited endpoint of one instance at once: the target must see the requests spaced as the
 * limit says, because the slots are booked in the shared store rather than in each process.
 */
if (DATABASE_URL === undefined) {
  it.skip('per-instance rate limit across processes: needs WEFT_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)', () => {});
} else {
  const url = DATABASE_URL;
  describe('a per-instance rate limit shared by two processes on one PostgreSQL database', () => {
    const schema = `weft_test_${randomBytes(6).toString('hex')}`;
    let stores: Store[];
    let clients: HttpClient[];
    let sink: Awaited<ReturnType<typeof startSink>>;
    const arrivals: number[] = [];
    let tooManyOnce = false;
    let companyId: string;
    let instanceId: string;
    let otherInstanceId: string;

    beforeAll(async () => {
      sink = await startSink(() => {
        arrivals.push(Date.now());
        if (tooManyOnce) {
          tooManyOnce = false;
          return { status: 429, body: '{"error":"slow down"}', headers: { 'retry-after': '2' } };
        }
        return { status: 200, body: '{"ok":true}' };
      });
      stores = [0, 1].map(() => createPostgresStore({ connectionString: url, schema, poolSize: 3 }));
      await stores[0]!.migrate();
      const store = stores[0]!;
      companyId = (await store.createCompanyWithAdmin({ companyName: 'rl', name: 'O', email: 'o@rl.test', passwordHash: 'x' })).company.id;
      const connector = await store.createConnector(companyId, {
        name: 'Limited',
        protocol: 'http',
        baseUrl: `${sink.url}/api`,
        variables: {},
        authMethods: [{ type: 'bearer' }],
        endpoints: [
          {
            name: 'fast',
            method: 'GET',
            path: '/fast',
            data_type: 'json',
            direction: 'receive',
            rate_limit: { requests: 100, per_seconds: 1 },
          },
          {
            name: 'orders',
            method: 'GET',
            path: '/orders',
            data_type: 'json',
            direction: 'receive',
            rate_limit: { requests: 2, per_seconds: 1 },
          },
        ],
      });
      const credentials = { ciphertext: cipher.encrypt({ token: 'T' }, companyId), fields: ['token'] };
      const input = { connectorId: connector.id, name: 'A', variables: {}, authMethod: 'bearer', credentials };
      instanceId = (await store.createInstance(companyId, input)).id;
      otherInstanceId = (await store.createInstance(companyId, { ...input, name: 'B' })).id;
      clients = [0, 1].map(() => createHttpClient({ allow: ['127.0.0.1'] }));
    });

    afterAll(async () => {
      for (const client of clients) await client.close();
      for (const store of stores) await store.close();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      await sink.close();
    });

    const call = (process: 0 | 1, instance: string, endpoint = 'orders') =>
      testConnection(
        {
          http: clients[process]!,
          now: () => new Date(),
          sleep: (ms, signal) => delay(ms, undefined, { signal }),
          connectors: createConnectorResolver({ store: stores[process]!, cipher }),
        },
        { companyId, instanceId: instance, endpoint },
      );

    it('spaces six concurrent requests from both processes 500 ms apart (2 per second), and another instance has its own bucket', async () => {
      arrivals.length = 0;
      const started = Date.now();
      const results = await Promise.all([0, 1, 0, 1, 0, 1].map((p) => call(p as 0 | 1, instanceId)));
      expect(results.every((r) => r.ok)).toBe(true);
      const times = [...arrivals].sort((a, b) => a - b);
      expect(times).toHaveLength(6);
      // The i-th request goes no earlier than i × 500 ms after the first booking (itself after `started`):
      // a lower bound a loaded machine cannot break, where gaps between arrivals could shrink.
      for (let i = 0; i < times.length; i++) expect(times[i]! - started, `request ${i}`).toBeGreaterThanOrEqual(i * 500 - 5);
      const waits = results.flatMap((r) => r.log.filter((l) => l.data?.rate_limit_wait_ms !== undefined));
      expect(waits.length).toBeGreaterThanOrEqual(4);
      expect(waits[0]?.message).toMatch(/for the rate limit of 2 requests per 1 s \(bucket "orders"\)/);

      // The other instance is another account at the provider: its request is not held up.
      arrivals.length = 0;
      const other = await call(0, otherInstanceId);
      expect(other.ok).toBe(true);
      expect(other.log.filter((l) => l.data?.rate_limit_wait_ms !== undefined)).toEqual([]);
    });

    it('holds back the other process too when the target answers 429 with Retry-After', async () => {
      arrivals.length = 0;
      tooManyOnce = true;
      const first = call(0, instanceId, 'fast');
      while (arrivals.length === 0) await delay(10);
      const refusedAt = arrivals[0]!;
      // Until the first process has read the 429 and deferred the bucket in the store.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        for (;;) {
          const { rows } = await admin.query(`SELECT tat_ms FROM "${schema}".rate_slots WHERE bucket = $1`, [`${instanceId}:fast`]);
          if (Number(rows[0]?.tat_ms ?? 0) >= refusedAt + 1900) break;
          await delay(10);
        }
      } finally {
        await admin.end();
      }
      const second = await call(1, instanceId, 'fast');
      expect(second.ok).toBe(true);
      expect((await first).ok).toBe(true);
      const [, ...after] = [...arrivals].sort((a, b) => a - b);
      expect(after).toHaveLength(2);
      for (const at of after) expect(at - refusedAt).toBeGreaterThanOrEqual(1900);
    });
  });
}
