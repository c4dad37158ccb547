import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem } from '../../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

const PETSTORE = new URL('./fixtures/petstore.openapi.yaml', import.meta.url);

const MINIMAL = {
  openapi: '3.1.0',
  info: { title: 'Mini', version: '1' },
  servers: [{ url: 'https://mini.example.com' }],
  paths: { '/things': { get: { responses: { '200': { description: 'ok' } } } } },
};

describe('POST /api/v1/connectors/import/openapi', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let other: Record<string, string>;
  let yaml: string;

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
    yaml = await readFile(PETSTORE, 'utf8');
  });
  afterAll(() => sys.close());

  const post = (payload: unknown, headers = h) =>
    sys.app.inject({ method: 'POST', url: '/api/v1/connectors/import/openapi', headers, payload: payload as object });

  it('creates a connector from a YAML petstore with its endpoints, parameters, data types, schemas and auth methods', async () => {
    const res = await post({ document: yaml });
    expect(res.statusCode).toBe(201);
    const connector = res.json().data;
    expect(connector).toMatchObject({
      name: 'Swagger Petstore',
      protocol: 'http',
      base_url: 'https://{{region}}.petstore.example.com/v3',
      variables: { region: { default: 'eu', description: 'Data centre' } },
    });
    const byName = Object.fromEntries(connector.endpoints.map((e: { name: string }) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['DELETE /pet/{petId}', 'addPet', 'findPetsByStatus', 'getInventoryCsv', 'getPetById']);
    expect(byName.findPetsByStatus).toMatchObject({
      method: 'GET',
      path: '/pet/findByStatus',
      direction: 'receive',
      data_type: 'json',
      query: { status: { required: true, description: 'Status values to filter by' }, limit: { required: false } },
      headers: { 'X-Request-Id': { required: false } },
    });
    // The $ref of the items is resolved, so the map editor can offer the pet's fields.
    expect(byName.findPetsByStatus.schema.items.properties.name).toEqual({ type: 'string', example: 'doggie' });
    expect(byName.getPetById).toMatchObject({ path: '/pet/{{petId}}', data_type: 'xml', direction: 'receive' });
    expect(byName.addPet).toMatchObject({
      method: 'POST',
      direction: 'send',
      data_type: 'json',
      description: 'Add a new pet to the store',
    });
    expect(byName.addPet.request_schema.required).toEqual(['name', 'photoUrls']);
    expect(byName['DELETE /pet/{petId}']).toMatchObject({ method: 'DELETE', headers: { api_key: { required: true } } });
    expect(byName.getInventoryCsv.data_type).toBe('csv');
    // The circular Category.parent stays a reference instead of an endless object.
    expect(JSON.stringify(byName.addPet.schema)).toContain('"$ref":"#/components/schemas/Category"');

    expect(connector.auth_methods).toEqual([
      {
        type: 'oauth2_authorization_code',
        name: 'petstore_auth',
        authorize_url: 'https://auth.petstore.example.com/oauth/authorize',
        token_url: 'https://auth.petstore.example.com/oauth/token',
        scope: 'write:pets read:pets',
      },
      { type: 'oauth2_client_credentials', name: 'partner', token_url: 'https://auth.petstore.example.com/oauth/token' },
      { type: 'api_key', name: 'api_key', in: 'header', param_name: 'api_key' },
      { type: 'basic', name: 'basic' },
    ]);
    const warnings: string[] = res.json().meta.warnings;
    expect(warnings).toContainEqual(expect.stringContaining('cookie parameter "session"'));
    expect(warnings).toContainEqual(expect.stringContaining('security scheme "openid"'));

    const got = await sys.app.inject({ method: 'GET', url: `/api/v1/connectors/${connector.id}`, headers: h });
    expect(got.json().data).toEqual(connector);
    const audit = await sys.app.inject({ method: 'GET', url: '/api/v1/audit-logs?per_page=100', headers: h });
    expect(audit.json().data).toContainEqual(
      expect.objectContaining({ action: 'connector.imported', target_type: 'connector', target_id: connector.id }),
    );
  });

  it('accepts a 3.1 document as a JSON object or JSON text, with the name and base URL overridden', async () => {
    const asObject = await post({ document: MINIMAL, name: 'Renamed', base_url: 'https://other.example.com/api' });
    expect(asObject.statusCode).toBe(201);
    expect(asObject.json().data).toMatchObject({
      name: 'Renamed',
      base_url: 'https://other.example.com/api',
      endpoints: [{ name: 'GET /things', method: 'GET', path: '/things', data_type: 'json', direction: 'receive' }],
    });
    const asText = await post({ document: JSON.stringify(MINIMAL) });
    expect(asText.statusCode).toBe(201);
    expect(asText.json().data.name).toBe('Mini');
  });

  it('answers 422 with what is wrong for text that is neither JSON nor YAML', async () => {
    const res = await post({ document: 'openapi: [3.0\n  info: }' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.document[0]).toMatch(/^is neither JSON nor YAML/);
  });

  it('answers 422 for Swagger 2.0 and for documents without a version', async () => {
    const swagger = await post({ document: { swagger: '2.0', info: { title: 'x', version: '1' }, paths: {} } });
    expect(swagger.statusCode).toBe(422);
    expect(swagger.json().errors['document.openapi'][0]).toMatch(/this is Swagger 2.0: convert it to OpenAPI 3 first/);
    const none = await post({ document: { info: {} } });
    expect(none.json().errors['document.openapi'][0]).toMatch(/must be an OpenAPI version 3.0.x or 3.1.x/);
  });

  it('answers 422 naming the problem for a document the OpenAPI schema refuses', async () => {
    const broken = { ...MINIMAL, paths: { '/things': { get: { responses: 'none' } } } };
    const res = await post({ document: broken });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.document[0]).toMatch(/responses/);
  });

  it('answers 422 for an internal $ref to nothing', async () => {
    const dangling = {
      ...MINIMAL,
      paths: {
        '/things': {
          get: {
            responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } } },
          },
        },
      },
    };
    const res = await post({ document: dangling });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.document[0]).toMatch(/Nope/);
  });

  it('refuses external $refs (files and URLs) without fetching them', async () => {
    let fetched = false;
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      fetched = true;
      res.end('{"type":"object"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const external = {
        ...MINIMAL,
        paths: {
          '/things': {
            get: {
              responses: {
                '200': { description: 'ok', content: { 'application/json': { schema: { $ref: `http://127.0.0.1:${port}/pet.json` } } } },
                '404': { $ref: '/etc/passwd' },
              },
            },
          },
        },
      };
      const res = await post({ document: external });
      expect(res.statusCode).toBe(422);
      const errors = res.json().errors;
      expect(errors['document.paths./things.get.responses.200.content.application/json.schema.$ref']).toEqual([
        expect.stringMatching(/refers outside the document/),
      ]);
      expect(errors['document.paths./things.get.responses.404.$ref']).toBeDefined();
      expect(fetched).toBe(false);
    } finally {
      server.close();
    }
  });

  it('answers 422 when the server URL is relative or missing and no base_url is given', async () => {
    const relative = await post({ document: { ...MINIMAL, servers: [{ url: '/v1' }] } });
    expect(relative.statusCode).toBe(422);
    expect(relative.json().errors.base_url[0]).toMatch(/"\/v1" is not an absolute http\(s\) URL; give base_url/);
    const missing = await post({ document: { ...MINIMAL, servers: undefined } });
    expect(missing.json().errors.base_url[0]).toMatch(/names no servers/);
    const fixed = await post({ document: { ...MINIMAL, servers: [{ url: '/v1' }] }, base_url: 'https://api.example.com/v1' });
    expect(fixed.statusCode).toBe(201);
  });

  it('refuses a body without a document, and unknown fields', async () => {
    expect((await post({})).statusCode).toBe(422);
    expect((await post({ document: MINIMAL, extra: 1 })).statusCode).toBe(422);
  });

  it('creates the connector in the caller’s company only', async () => {
    const res = await post({ document: MINIMAL, name: 'Private import' });
    const id = res.json().data.id;
    const fromOther = await sys.app.inject({ method: 'GET', url: `/api/v1/connectors/${id}`, headers: other });
    expect(fromOther.statusCode).toBe(404);
  });
});
