import { mkdirSync } from 'node:fs';
import { loadConfig, openStore } from '@weft/server';

export async function migrate(): Promise<number> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  await store.migrate();
  await store.close();
  console.log(`Migrations applied (${config.dataDir}).`);
  return 0;
}
