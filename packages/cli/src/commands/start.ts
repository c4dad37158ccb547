import { type Config, createSystem, loadConfig, type System, tuneHeap } from '@weft/server';

/** weft start: everything in one process (API, worker, dashboard). */
export async function start(): Promise<number> {
  const config = loadConfig();
  tuneHeap(config);
  const system = await createSystem(config);
  await system.app.listen({ port: config.port, host: config.host });
  console.log(`Weft is listening on http://${config.host}:${config.port} (${where(config)})`);
  return runUntilSignalled(system);
}

/** weft api: HTTP only; runs are advanced by `weft worker` processes sharing the database and Redis. */
export async function api(): Promise<number> {
  const config = loadConfig();
  if (config.redisUrl === undefined) {
    // With the in-process queue nothing would ever take the runs this process accepts.
    console.error('weft api needs WEFT_REDIS_URL (workers take runs from Redis); use `weft start` for one process');
    return 1;
  }
  tuneHeap(config);
  const system = await createSystem(config, { worker: false });
  await system.app.listen({ port: config.port, host: config.host });
  console.log(`Weft API is listening on http://${config.host}:${config.port} (${where(config)})`);
  return runUntilSignalled(system);
}

/** weft worker: advances runs, no HTTP listener. */
export async function worker(options: { concurrency?: string | boolean }): Promise<number> {
  const overrides: Partial<Config> = {};
  if (options.concurrency !== undefined) {
    const n = Number(options.concurrency);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`weft worker: --concurrency must be a positive integer, got "${String(options.concurrency)}"`);
      return 1;
    }
    overrides.workerConcurrency = n;
  }
  const config = loadConfig(process.env, overrides);
  tuneHeap(config);
  const system = await createSystem(config, { worker: true });
  console.log(`Weft worker started, ${config.workerConcurrency} runs at once (${where(config)})`);
  return runUntilSignalled(system);
}

function where(config: Config): string {
  const data = config.databaseUrl === undefined ? `data in ${config.dataDir}` : `PostgreSQL schema ${config.databaseSchema}`;
  return config.redisUrl === undefined ? data : `${data}, queue on Redis under "${config.redisPrefix}:"`;
}

/**
 * SIGTERM/SIGINT: stop taking work; in-flight runs stop at their next step boundary and give their
 * lease back, so another worker (or a later start) resumes them from their journal.
 */
function runUntilSignalled(system: System): Promise<number> {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Weft: ${signal} received, shutting down`);
    const timer = setTimeout(() => process.exit(1), 15_000);
    timer.unref();
    await system.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return new Promise<number>(() => {});
}
