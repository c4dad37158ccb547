import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem } from '../test-support/harness.js';

describe('the OpenAPI document', () => {
  let sys: Awaited<ReturnType<typeof createTestSystem>>;
  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
  });
  afterAll(() => sys.close());

  it('is served without credentials and describes every public route', async () => {
    const res = await sys.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/login',
      '/api/v1/register',
      '/api/v1/flows',
      '/api/v1/flows/{flowId}/start',
      '/api/v1/flows/{flowId}/start/{versionId}',
      '/api/v1/flows/{flowId}/manual/raw/{versionId}',
      '/api/v1/flow-versions/{versionId}/deploy',
      '/api/v1/flow-runs',
      '/api/v1/flow-runs/{runId}/flow-run-logs',
      '/api/v1/payloads/{payloadId}/download',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it('serves the reference UI at /api/docs', async () => {
    const res = await sys.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers unknown routes with 404 in the error body', async () => {
    const res = await sys.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
