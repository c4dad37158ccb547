import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../test-support/canary.js';
import { createTestSystem } from '../../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

const CONNECTOR = {
  name: 'ERP',
  protocol: 'http',
  base_url: 'https://{{host}}/erp',
  variables: { host: { description: 'ERP host' } },
  auth_methods: [{ type: 'api_key', in: 'header', param_name: 'X-Key' }],
  endpoints: [
    { name: 'push order', method: 'POST', path: '/orders', data_type: 'json', direction: 'send' },
    { name: 'list orders', method: 'GET', path: '/orders', data_type: 'json', direction: 'receive' },
  ],
};

describe('flow export and import with connectors', () => {
  let sys: Sys;
  let a: Record<string, string>;
  let b: Record<string, string>;
  let flowId: string;
  let instanceId: string;

  const definition = (instance: string) => ({
    format: 'json',
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 'push', shape: 'connector', config: { instance, endpoint: 'push order' } },
      { id: 'inline', shape: 'connector', config: { request: { method: 'GET', url: 'https://example.com/x' } } },
    ],
    edges: [
      { from: 'trigger', to: 'push' },
      { from: 'push', to: 'inline' },
    ],
  });

  async function createInstance(headers: Record<string, string>, connectorId: string, name: string) {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/instances',
      headers,
      payload: {
        connector_id: connectorId,
        name,
        variables: { host: 'erp.internal' },
        auth_method: 'api_key',
        credentials: { key: CANARY },
      },
    });
    expect(res.statusCode).toBe(201);
    return res.json().data.id as string;
  }

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    a = sys.auth((await sys.register()).token);
    b = sys.auth((await sys.register()).token);
    const connector = await sys.app.inject({ method: 'POST', url: '/api/v1/connectors', headers: a, payload: CONNECTOR });
    instanceId = await createInstance(a, connector.json().data.id, 'Live ERP');
    const flow = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: a,
      payload: { name: 'Orders', definition: definition(instanceId) },
    });
    expect(flow.statusCode).toBe(201);
    flowId = flow.json().data.id;
  });
  afterAll(() => sys.close());

  const exportFlow = async () => (await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${flowId}/export`, headers: a })).json();
  const importInto = (headers: Record<string, string>, doc: unknown) =>
    sys.app.inject({ method: 'POST', url: '/api/v1/flows/import', headers, payload: doc as object });
  const draftOf = async (headers: Record<string, string>, id: string) => {
    const flow = (await sys.app.inject({ method: 'GET', url: `/api/v1/flows/${id}`, headers })).json().data;
    return (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-versions/${flow.draft_version_id}`, headers })).json().data.definition;
  };

  it('exports the connectors the steps use, and the instances by name only, never credentials or instance variables', async () => {
    const doc = await exportFlow();
    expect(doc.connectors).toHaveLength(1);
    expect(doc.connectors[0]).toMatchObject({ ...CONNECTOR, ref: expect.any(String) });
    expect(doc.instances).toEqual([{ ref: instanceId, name: 'Live ERP', connector_ref: doc.connectors[0].ref, auth_method: 'api_key' }]);
    const text = JSON.stringify(doc);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('erp.internal');
  });

  it('creates the connector in another company and reports the instance to create', async () => {
    const res = await importInto(b, await exportFlow());
    expect(res.statusCode).toBe(201);
    const meta = res.json().meta;
    expect(meta.connectors).toEqual([expect.objectContaining({ name: 'ERP', created: true })]);
    expect(meta.instances_needed).toEqual([
      { ref: instanceId, name: 'Live ERP', connector_id: meta.connectors[0].id, connector_name: 'ERP', steps: ['push'] },
    ]);
    const connector = await sys.app.inject({ method: 'GET', url: `/api/v1/connectors/${meta.connectors[0].id}`, headers: b });
    expect(connector.json().data).toMatchObject(CONNECTOR);
    const audit = await sys.app.inject({ method: 'GET', url: '/api/v1/audit-logs?per_page=100', headers: b });
    expect(audit.json().data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['connector.imported', 'flow.imported']),
    );
  });

  it('matches the connector and the instance by name on a second import, and points the steps at the instance', async () => {
    const first = await importInto(b, await exportFlow());
    const connectorId = first.json().meta.connectors[0].id;
    const localInstance = await createInstance(b, connectorId, 'Live ERP');
    const second = await importInto(b, await exportFlow());
    expect(second.statusCode).toBe(201);
    const meta = second.json().meta;
    expect(meta.connectors).toEqual([expect.objectContaining({ id: connectorId, created: false })]);
    expect(meta.instances_matched).toEqual([{ ref: instanceId, id: localInstance, name: 'Live ERP' }]);
    expect(meta.instances_needed).toEqual([]);
    const steps = (await draftOf(b, second.json().data.id)).steps;
    expect(steps.find((s: { id: string }) => s.id === 'push').config.instance).toBe(localInstance);
    const connectors = await sys.app.inject({ method: 'GET', url: '/api/v1/connectors?per_page=100', headers: b });
    expect(connectors.json().data.filter((c: { name: string }) => c.name === 'ERP')).toHaveLength(1);
  });

  it('reports endpoints a matched connector lacks', async () => {
    const doc = await exportFlow();
    const c = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/connectors',
      headers: b,
      payload: { ...CONNECTOR, name: 'ERP lite', endpoints: [] },
    });
    expect(c.statusCode).toBe(201);
    doc.connectors[0].name = 'ERP lite';
    const res = await importInto(b, doc);
    expect(res.json().meta.connectors[0]).toMatchObject({ created: false, missing_endpoints: ['push order'] });
  });

  it('refuses a bad connector in the document with its field path, creating neither connector nor flow', async () => {
    const doc = await exportFlow();
    doc.connectors[0].base_url = 'not a url';
    doc.connectors[0].name = 'Broken ERP';
    const before = (await sys.app.inject({ method: 'GET', url: '/api/v1/flows?per_page=100', headers: b })).json().data.length;
    const res = await importInto(b, doc);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors['connectors[0].base_url']).toEqual(['must be an absolute http or https URL']);
    const after = (await sys.app.inject({ method: 'GET', url: '/api/v1/flows?per_page=100', headers: b })).json().data.length;
    expect(after).toBe(before);
    const connectors = await sys.app.inject({ method: 'GET', url: '/api/v1/connectors?per_page=100', headers: b });
    expect(connectors.json().data.map((c: { name: string }) => c.name)).not.toContain('Broken ERP');
    doc.connectors[0].base_url = 'https://ok.example.com';
    doc.instances[0].connector_ref = 'nope';
    const dangling = await importInto(b, doc);
    expect(dangling.json().errors['instances[0].connector_ref']).toEqual(['must name the ref of one of the connectors']);
  });

  it('imports into its own company by matching everything, creating nothing', async () => {
    const res = await importInto(a, await exportFlow());
    expect(res.json().meta).toMatchObject({
      connectors: [expect.objectContaining({ created: false })],
      instances_matched: [{ ref: instanceId, id: instanceId, name: 'Live ERP' }],
      instances_needed: [],
    });
  });

  it('still imports documents without connectors (older exports)', async () => {
    const doc = await exportFlow();
    const { connectors: _c, instances: _i, ...plain } = doc;
    const res = await importInto(b, plain);
    expect(res.statusCode).toBe(201);
    expect(res.json().meta).toBeUndefined();
  });
});
