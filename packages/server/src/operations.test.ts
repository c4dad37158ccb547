import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/index.js';
import { createMetrics } from './observability/metrics.js';
import { openOperations } from './operations.js';
import { LocalQueue } from './queue/local/local-queue.js';
import { createSqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/types.js';
import { RunEvents } from './worker/run-events.js';

describe('operations', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-ops-'));
    store = createSqliteStore({ file: path.join(dir, 'weft.db'), payloadDir: path.join(dir, 'payloads') });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('count a refusal made before any HTTP app exists in the metrics output', async () => {
    const queue = new LocalQueue();
    const metrics = createMetrics({ events: new RunEvents(), queue });
    const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', startRatePerMinute: 1, queuedRunsMax: 0 });
    const ops = openOperations(config, store, { retention: false, metrics });
    try {
      await ops.limits.checkStart('company-1');
      await expect(async () => ops.limits.checkStart('company-1')).rejects.toMatchObject({ code: 'START_RATE_LIMITED' });
      expect(await metrics.registry.metrics()).toMatch(/^weft_admission_refused_total\{code="START_RATE_LIMITED"\} 1$/m);
    } finally {
      await ops.close();
      await queue.close();
    }
  });
});
