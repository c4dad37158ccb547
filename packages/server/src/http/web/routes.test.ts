import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import { createTestSystem, type TestSystem } from '../../test-support/harness.js';
import { webRoutes } from './routes.js';

async function appServing(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  await webRoutes(app, {} as Config, {} as AppDeps, { distDir });
  return app;
}

describe('the dashboard at /', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-web-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Weft dashboard</title>');
    await writeFile(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    app = await appServing(dir);
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and for the routes of the dashboard', async () => {
    for (const url of ['/', '/flows/abc', '/runs?flow=1']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('Weft dashboard');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves built assets with a long cache', async () => {
    const res = await app.inject({ url: '/assets/app-1234.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log(1)');
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('never serves files outside the build', async () => {
    for (const url of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd']) {
      const res = await app.inject({ url });
      expect(res.body).toContain('Weft dashboard');
    }
  });
});

describe('the dashboard inside the app', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('leaves unknown API paths to the JSON 404', async () => {
    const res = await sys.app.inject({ url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('serves the not-built page or the dashboard at /, never the JSON 404', async () => {
    const res = await sys.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
  });
});

describe('a server whose dashboard is not built', () => {
  it('says so at / and points to the API reference', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-web-empty-'));
    const app = await appServing(path.join(dir, 'missing'));
    try {
      const res = await app.inject({ url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('not built');
      expect(res.body).toContain('/api/docs');
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
