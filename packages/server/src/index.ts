export { buildApp, type AppDeps } from './app.js';
export { hashPassword } from './auth/service.js';
export { loadConfig, type Config } from './config/index.js';
export { importFlow } from './http/flows/routes.js';
export { createSystem, openStore, type System } from './system.js';
export type { Store } from './store/types.js';
