import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem } from '../../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

describe('deploying a flow that names scripts and lookup tables', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let other: Record<string, string>;

  beforeAll(async () => {
    sys = await createTestSystem({}, { worker: false });
    h = sys.auth((await sys.register()).token);
    other = sys.auth((await sys.register()).token);
  });
  afterAll(() => sys.close());

  const definition = {
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 'enrich', shape: 'script', config: { script: 'enrich', version: 1 } },
      {
        id: 'map',
        shape: 'map',
        config: {
          rules: [
            { source: 'c', target: 'country', transforms: [{ fn: 'lookup', args: { table: 'countries' } }] },
            { source: 'n', target: 'name', transforms: [{ fn: 'trim' }, { fn: 'script', args: { script: 'tidy' } }] },
          ],
        },
      },
    ],
    edges: [
      { from: 'trigger', to: 'enrich' },
      { from: 'enrich', to: 'map' },
    ],
  };

  async function deploy(headers: Record<string, string>) {
    const flow = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers,
      payload: { name: `refs ${Math.random()}`, definition },
    });
    expect(flow.statusCode, flow.body).toBe(201);
    return sys.app.inject({ method: 'POST', url: `/api/v1/flow-versions/${flow.json().data.draft_version_id}/deploy`, headers });
  }

  async function deployedScript(headers: Record<string, string>, name: string) {
    const script = await sys.app.inject({ method: 'POST', url: '/api/v1/scripts', headers, payload: { name } });
    await sys.app.inject({ method: 'POST', url: `/api/v1/scripts/${script.json().data.id}/deploy`, headers });
  }

  it('saves the draft but refuses to deploy it while a script or table is missing, naming each path', async () => {
    const res = await deploy(h);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('FLOW_INVALID');
    expect(res.json().errors).toEqual({
      'definition.steps[1].config.script': [
        'the script "enrich" has no deployed version 1 in this company; create and deploy it under /api/v1/scripts',
      ],
      'definition.steps[2].config.rules[0].transforms[0].args.table': [
        'there is no lookup table "countries" in this company; create it under /api/v1/lookup-tables',
      ],
      'definition.steps[2].config.rules[1].transforms[1].args.script': [
        'the script "tidy" has no deployed version in this company; create and deploy it under /api/v1/scripts',
      ],
    });
  });

  it("counts only the company's own scripts and tables, and deploys once they exist", async () => {
    await deployedScript(other, 'enrich');
    await deployedScript(other, 'tidy');
    await sys.app.inject({ method: 'POST', url: '/api/v1/lookup-tables', headers: other, payload: { name: 'countries' } });
    expect((await deploy(h)).statusCode).toBe(422);
    expect((await deploy(other)).statusCode).toBe(200);

    await deployedScript(h, 'enrich');
    await sys.app.inject({ method: 'POST', url: '/api/v1/scripts', headers: h, payload: { name: 'tidy' } });
    await sys.app.inject({ method: 'POST', url: '/api/v1/lookup-tables', headers: h, payload: { name: 'countries' } });
    const undeployedTidy = await deploy(h);
    expect(Object.keys(undeployedTidy.json().errors)).toEqual(['definition.steps[2].config.rules[1].transforms[1].args.script']);
    await deployedScript(h, 'tidy-2');
    const list = await sys.app.inject({ method: 'GET', url: '/api/v1/scripts?filter[name]=tidy', headers: h });
    const tidy = list.json().data.find((s: { name: string }) => s.name === 'tidy');
    await sys.app.inject({ method: 'POST', url: `/api/v1/scripts/${tidy.id}/deploy`, headers: h });
    expect((await deploy(h)).statusCode).toBe(200);
  });
});
