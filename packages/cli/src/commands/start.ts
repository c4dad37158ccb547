import { createSystem, loadConfig } from '@weft/server';

/** weft start: everything in one process on the embedded default. */
export async function start(): Promise<number> {
  const config = loadConfig();
  const system = await createSystem(config);
  await system.app.listen({ port: config.port, host: config.host });
  console.log(`Weft is listening on http://${config.host}:${config.port} (data in ${config.dataDir})`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Weft: ${signal} received, shutting down`);
    // In-flight runs stop at their next step boundary and give their lease back; a later start resumes them.
    const timer = setTimeout(() => process.exit(1), 15_000);
    timer.unref();
    await system.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return new Promise<number>(() => {});
}
