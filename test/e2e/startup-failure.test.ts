import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runWeft } from './weft-process.js';

const DATABASE_URL = process.env.WEFT_TEST_DATABASE_URL;
const REDIS_URL = process.env.WEFT_TEST_REDIS_URL;

/**
 * A distributed-mode process that fails to start must exit, not linger with its database pool and
 * Redis connections open: a supervisor restarts a process that exits, never one that hangs.
 */
if (DATABASE_URL === undefined || REDIS_URL === undefined) {
  it.skip('startup failure in distributed mode: runs only when WEFT_TEST_DATABASE_URL and WEFT_TEST_REDIS_URL are set', () => {});
} else {
  const databaseUrl = DATABASE_URL;
  const redisUrl = REDIS_URL;

  describe('a process that cannot start in distributed mode', () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it.each([['worker'], ['api']])(
      'weft %s exits with 1 naming the bad setting after opening PostgreSQL and Redis',
      { timeout: 90_000 },
      async (role) => {
        const id = randomBytes(5).toString('hex');
        const schema = `weft_startfail_${id}`;
        const prefix = `weft-startfail-${id}`;
        const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-startfail-'));
        cleanups.push(async () => {
          const admin = new pg.Client({ connectionString: databaseUrl });
          await admin.connect();
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await admin.end();
          const redis = new Redis(redisUrl);
          const keys = await redis.keys(`${prefix}:*`);
          if (keys.length > 0) await redis.del(...keys);
          await redis.quit();
          rmSync(dataDir, { recursive: true, force: true });
        });
        const started = Date.now();
        const result = await runWeft([role], {
          WEFT_DATA_DIR: dataDir,
          WEFT_PORT: '0',
          WEFT_DATABASE_URL: databaseUrl,
          WEFT_DATABASE_SCHEMA: schema,
          WEFT_REDIS_URL: redisUrl,
          WEFT_REDIS_PREFIX: prefix,
          // Read after the store is open and migrated: the failure comes with connections held.
          WEFT_CREDENTIALS_KEY: 'too-short',
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/WEFT_CREDENTIALS_KEY must be 32 bytes/);
        // Far less than a hang; the time is the process starting on a loaded machine.
        expect(Date.now() - started).toBeLessThan(60_000);
      },
    );
  });
}
