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
import { CANARY, LeakWatch, leakError } from './canary.js';

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
  /**
   * Closes the app, worker and store, scans the data (files, PostgreSQL schema), the server log and the
   * responses for the leak canary and the secrets the system handed out, removes the data directory
   * the harness made, and then throws naming each place a secret leaked to.
   */
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
  /** Where the system's JSON log lines go too (e.g. to read them); the harness scans every line either way. */
  logStream?: import('pino').DestinationStream;
}

/** The default password; it carries the leak canary, as every secret the tests hand the product does. */
export const TEST_PASSWORD = `correct horse battery staple ${CANARY}`;

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
  // Start and webhook rates are lifted unless a test sets them: tests start runs in bursts. Logs are on
  // at debug (into the leak watch, not stdout) so that every line the system writes is scanned.
  const config = loadConfig(
    {},
    {
      logLevel: 'debug',
      startRatePerMinute: 0,
      webhookRatePerMinute: 0,
      // The store's own thread (WEFT_STORE_THREAD, off by default) costs a few hundred ms to start
      // per system: the HTTP suites run with it only under WEFT_TEST_STORE=thread, by hand. The
      // threaded store runs the store conformance suites itself.
      storeThread: process.env.WEFT_TEST_STORE === 'thread',
      ...postgres?.overrides,
      ...overrides,
      dataDir,
    },
  );
  const watch = new LeakWatch();
  const removeData = async () => {
    await removeDataDir();
    await postgres?.drop();
  };
  let system: Awaited<ReturnType<typeof createSystem>>;
  try {
    system = await createSystem(config, { worker: options.worker ?? true, logStream: watch.logStream(options.logStream) });
  } catch (err) {
    await removeData();
    throw err;
  }
  const { app, store } = system;
  observeResponses(app, watch);

  const login = async (email: string, password: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { email, password } });
    expectStatus(res, 200, 'POST /api/v1/login');
    return (res.json() as { token: string }).token;
  };

  const auth = (tokenOrKey: string) => ({ authorization: `Bearer ${tokenOrKey}` });

  let closed = false;
  return {
    app,
    store,
    config,
    dataDir,
    system,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await system.close();
        // Before the data goes: the scan reads the files and the schema the system leaves behind.
        await watch.scanAtRest({ dataDir, config });
      } finally {
        await removeData();
      }
      const error = leakError(watch.leaks, `data dir ${dataDir}`);
      if (error !== undefined) throw error;
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
 * Every `app.inject` call with options (all the tests use) goes through the leak watch: the response may
 * not hold the canary, and the secrets it hands out (a login's token, a new API key, a webhook secret)
 * are tracked so the logs and the data at rest are searched for them too.
 */
function observeResponses(app: FastifyInstance, watch: LeakWatch): void {
  const inject = app.inject.bind(app) as (opts?: unknown, cb?: unknown) => unknown;
  const observed = (opts?: unknown, cb?: unknown): unknown => {
    // The chain form (no options) and the callback form are passed through unobserved; no test uses them.
    if (opts === undefined || cb !== undefined) return inject(opts, cb);
    return (inject(opts) as Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>).then((res) => {
      const o = (typeof opts === 'string' ? { url: opts } : opts) as { method?: string; url?: unknown; path?: unknown };
      const url = String(o.url ?? o.path ?? '');
      watch.response(`${o.method ?? 'GET'} ${url}`, res.body, res.headers);
      if (res.statusCode < 300 && String(res.headers['content-type'] ?? '').includes('json')) trackIssuedSecrets(res.body, watch);
      return res;
    });
  };
  (app as unknown as { inject: typeof observed }).inject = observed;
}

/** Login tokens (`token`), new API keys (`data.key`) and webhook secrets (`data.secret`) in a JSON answer. */
function trackIssuedSecrets(body: string, watch: LeakWatch): void {
  if (!/"(token|key|secret)"/.test(body)) return;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return;
  }
  if (typeof json !== 'object' || json === null) return;
  const top = json as { token?: unknown; data?: { key?: unknown; secret?: unknown } };
  watch.track(top.token);
  if (typeof top.data === 'object' && top.data !== null) {
    if (typeof top.data.key === 'string' && top.data.key.startsWith('wft_')) watch.track(top.data.key);
    watch.track(top.data.secret);
  }
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
