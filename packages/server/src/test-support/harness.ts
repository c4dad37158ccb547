import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Role } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type Config, loadConfig } from '../config/index.js';
import type { Store } from '../store/types.js';
import { createSystem, type System } from '../system.js';

/** A user registered through the API, with a login token. */
export interface TestUser {
  token: string;
  companyId: string;
  userId: string;
  email: string;
  password: string;
}

export interface TestSystem {
  app: FastifyInstance;
  store: Store;
  config: Config;
  /** The data directory (SQLite file and payloads); a temporary one unless given, and then removed by close(). */
  dataDir: string;
  /** The system behind the app: its scheduler, event consumers and worker, for tests that drive them. */
  system: System;
  /** Closes the app, worker and store, and removes the data directory the harness made. */
  close(): Promise<void>;
  /** Registers a new company with its administrator (unique email unless given) and logs in. */
  register(opts?: { company?: string; name?: string; email?: string; password?: string }): Promise<TestUser>;
  /** Adds a user with the role to the caller's company (the token must allow it) and logs them in. */
  addUser(token: string, role: Role, opts?: { name?: string; email?: string; password?: string }): Promise<TestUser>;
  /** Logs in and returns the token. */
  login(email: string, password: string): Promise<string>;
  /** Creates an API key with the token's rights and returns the plaintext key. */
  apiKey(token: string, name?: string): Promise<string>;
  /** The Authorization header for a token or API key, to spread into inject's headers. */
  auth(tokenOrKey: string): { authorization: string };
}

export interface TestSystemOptions {
  /** Run the worker in the app's process, as `weft start` does. Default true. */
  worker?: boolean;
  /** Where the system's JSON log lines go (e.g. to scan them); none logs nothing unless logLevel is set. */
  logStream?: import('pino').DestinationStream;
}

export const TEST_PASSWORD = 'correct horse battery staple';

let counter = 0;
/** Unique per process and per call, so tests sharing a system never collide on emails. */
function uniqueEmail(): string {
  counter += 1;
  return `user-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}@weft.test`;
}

function expectStatus(res: { statusCode: number; body: string }, status: number, what: string): void {
  if (res.statusCode !== status) throw new Error(`${what} answered ${res.statusCode}, expected ${status}: ${res.body}`);
}

/**
 * The shared HTTP test harness: the real system (SQLite store, queue, worker, app) on a fresh temporary
 * data directory, driven with `app.inject()`. Config comes from the overrides only, never from the
 * environment of the machine running the tests.
 */
export async function createTestSystem(overrides: Partial<Config> = {}, options: TestSystemOptions = {}): Promise<TestSystem> {
  // A given dataDir is the caller's (e.g. to reopen the same data after close) and is left in place.
  const ownsDataDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'weft-test-')));
  const removeDataDir = () => (ownsDataDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  const postgres = postgresStoreForTests(dataDir, ownsDataDir);
  // Start and webhook rates are lifted unless a test sets them: tests start runs in bursts.
  const config = loadConfig(
    {},
    { logLevel: 'silent', startRatePerMinute: 0, webhookRatePerMinute: 0, ...postgres?.overrides, ...overrides, dataDir },
  );
  const removeData = async () => {
    await removeDataDir();
    await postgres?.drop();
  };
  let system: Awaited<ReturnType<typeof createSystem>>;
  try {
    system = await createSystem(config, { worker: options.worker ?? true, logStream: options.logStream });
  } catch (err) {
    await removeData();
    throw err;
  }
  const { app, store } = system;

  const login = async (email: string, password: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { email, password } });
    expectStatus(res, 200, 'POST /api/v1/login');
    return (res.json() as { token: string }).token;
  };

  const auth = (tokenOrKey: string) => ({ authorization: `Bearer ${tokenOrKey}` });

  return {
    app,
    store,
    config,
    dataDir,
    system,
    async close() {
      try {
        await system.close();
      } finally {
        await removeData();
      }
    },
    async register(opts = {}) {
      const email = opts.email ?? uniqueEmail();
      const password = opts.password ?? TEST_PASSWORD;
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/register',
        payload: { company: opts.company ?? 'Test Company', name: opts.name ?? 'Test Admin', email, password },
      });
      expectStatus(res, 201, 'POST /api/v1/register');
      const { data } = res.json() as { data: { company: { id: string }; user: { id: string } } };
      return { token: await login(email, password), companyId: data.company.id, userId: data.user.id, email, password };
    },
    async addUser(token, role, opts = {}) {
      const email = opts.email ?? uniqueEmail();
      const password = opts.password ?? TEST_PASSWORD;
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: auth(token),
        payload: { name: opts.name ?? `Test ${role}`, email, password, role },
      });
      expectStatus(res, 201, 'POST /api/v1/users');
      const { data } = res.json() as { data: { id: string; company_id: string } };
      return { token: await login(email, password), companyId: data.company_id, userId: data.id, email, password };
    },
    login,
    async apiKey(token, name = 'test key') {
      const res = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: auth(token), payload: { name } });
      expectStatus(res, 201, 'POST /api/v1/api-keys');
      return (res.json() as { data: { key: string } }).data.key;
    },
    auth,
  };
}

/**
 * Opt-in, for running the HTTP suites against PostgreSQL by hand: with WEFT_TEST_STORE=postgres
 * every system gets a schema of its own in WEFT_TEST_DATABASE_URL (named after its data directory,
 * so a test reopening a data directory reopens the same data), dropped with the data directory.
 * The default stays SQLite, and the variable is never read by the product itself.
 */
function postgresStoreForTests(dataDir: string, ownsDataDir: boolean): { overrides: Partial<Config>; drop(): Promise<void> } | undefined {
  if (process.env.WEFT_TEST_STORE !== 'postgres') return undefined;
  const url = process.env.WEFT_TEST_DATABASE_URL;
  if (url === undefined)
    throw new Error('WEFT_TEST_STORE=postgres needs WEFT_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const schema = `weft_test_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  return {
    // A small pool: many test files run at once, each with its systems, against one server.
    overrides: { databaseUrl: url, databaseSchema: schema, databasePoolSize: 3 },
    async drop() {
      if (!ownsDataDir) return;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
