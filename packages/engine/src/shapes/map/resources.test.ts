import type { MapConfig } from '@weft/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { createSandbox } from '../../sandbox/index.js';
import type { EngineServices, LookupTableSource, ScriptStore } from '../../services.js';
import { mapShape, previewMap } from './index.js';
import { lookupTableNames } from './resources.js';
import { shapeContext } from './test-support/context.js';

const sandbox = createSandbox({ memoryLimitMb: 32 });
afterAll(() => sandbox.dispose());

const TABLES: Record<string, Record<string, Array<{ left: string; right: string }>>> = {
  co_1: {
    countries: [
      { left: 'GB', right: 'United Kingdom' },
      { left: 'FR', right: 'France' },
    ],
  },
  co_2: { countries: [{ left: 'GB', right: 'other company' }] },
};

function lookupTables(): LookupTableSource & { loads: string[] } {
  const loads: string[] = [];
  return {
    loads,
    async load(companyId, name) {
      loads.push(`${companyId}/${name}`);
      return TABLES[companyId]?.[name];
    },
  };
}

const scripts: ScriptStore = {
  async load(companyId, name, version) {
    if (companyId !== 'co_1' || name !== 'shout') return undefined;
    if (version !== undefined && version !== 1) return undefined;
    return {
      code: 'function main({ payload, meta }) { return { payload: String(payload).toUpperCase() + (meta.mark ?? "") }; }',
      version: 1,
    };
  },
};

async function map(config: MapConfig, value: unknown, services: Partial<EngineServices>, meta: Record<string, string> = {}) {
  const ctx = shapeContext(config);
  const result = await mapShape.execute({ ...ctx, services: { ...ctx.services, sandbox, ...services } }, [
    Payload.fromValue(value, 'json', meta),
  ]);
  return result.payloads.map((p) => p.value());
}

describe('the map shape with lookup tables and scripts', () => {
  it('loads each table its rules name once per step and looks every element up in it', async () => {
    const tables = lookupTables();
    const config: MapConfig = {
      rules: [
        { source: '*.country', target: '*.country_name', transforms: [{ fn: 'lookup', args: { table: 'countries' } }] },
        {
          source: '*.country',
          target: '*.back',
          transforms: [
            { fn: 'lookup', args: { table: 'countries' } },
            { fn: 'lookup', args: { table: 'countries', direction: 'right_to_left' } },
          ],
        },
      ],
    };
    const out = await map(config, [{ country: 'GB' }, { country: 'FR' }, { country: 'DE' }], { lookupTables: tables });
    expect(out).toEqual([
      [
        { country_name: 'United Kingdom', back: 'GB' },
        { country_name: 'France', back: 'FR' },
        { country_name: 'DE', back: 'DE' },
      ],
    ]);
    expect(tables.loads).toEqual(['co_1/countries']);
  });

  it("fails the step naming the rule when the table does not exist in the run's company", async () => {
    const config: MapConfig = { rules: [{ source: 'c', target: 'n', transforms: [{ fn: 'lookup', args: { table: 'missing' } }] }] };
    await expect(map(config, { c: 'GB' }, { lookupTables: lookupTables() })).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringMatching(/^rules\[0\]\.transforms\[0\]: lookup table "missing" does not exist in this company/),
    });
  });

  it('fails the step on a miss when on_miss is fail', async () => {
    const config: MapConfig = {
      rules: [{ source: '*.c', target: '*.n', transforms: [{ fn: 'lookup', args: { table: 'countries', on_miss: 'fail' } }] }],
    };
    await expect(map(config, [{ c: 'GB' }, { c: 'XX' }], { lookupTables: lookupTables() })).rejects.toMatchObject({
      message: 'rules[0].transforms[0]: lookup: "XX" is not a left value of table "countries" (on_miss is fail) (element [1])',
    });
  });

  it('fails a lookup when the engine has no lookup tables', async () => {
    const config: MapConfig = { rules: [{ source: 'c', target: 'n', transforms: [{ fn: 'lookup', args: { table: 'countries' } }] }] };
    await expect(map(config, { c: 'GB' }, {})).rejects.toMatchObject({
      message: expect.stringContaining('lookup tables cannot be read here'),
    });
  });

  it("runs a deployed script on each element's value, with the payload's meta", async () => {
    const config: MapConfig = {
      rules: [{ source: '*.name', target: '*.loud', transforms: [{ fn: 'script', args: { script: 'shout' } }] }],
    };
    expect(await map(config, [{ name: 'ada' }, { name: 'bob' }], { scripts }, { mark: '!' })).toEqual([
      [{ loud: 'ADA!' }, { loud: 'BOB!' }],
    ]);
  });

  it('fails the step when the script is unknown, has no such version, or throws', async () => {
    const unknown: MapConfig = { rules: [{ source: 'a', target: 'b', transforms: [{ fn: 'script', args: { script: 'nope' } }] }] };
    await expect(map(unknown, { a: 1 }, { scripts })).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'rules[0].transforms[0]: script "nope" has no deployed version; deploy it, or correct args.script and args.version',
    });
    const version: MapConfig = {
      rules: [{ source: 'a', target: 'b', transforms: [{ fn: 'script', args: { script: 'shout', version: 4 } }] }],
    };
    await expect(map(version, { a: 1 }, { scripts })).rejects.toMatchObject({
      message: expect.stringContaining('has no deployed version 4'),
    });
    const throwing: ScriptStore = { load: async () => ({ code: 'function main() { throw new Error("bad value"); }', version: 1 }) };
    await expect(map(unknown, { a: 1 }, { scripts: throwing })).rejects.toMatchObject({
      code: 'SCRIPT_ERROR',
      message: expect.stringMatching(/^rules\[0\]\.transforms\[0\]: .*bad value/),
    });
  });

  it('previews lookups and scripts with the sources given, and reports them per rule without them', async () => {
    const rules = [
      { source: 'c', target: 'country', transforms: [{ fn: 'lookup', args: { table: 'countries' } }] },
      { source: 'n', target: 'name', transforms: [{ fn: 'script', args: { script: 'shout' } }] },
    ];
    const tables = lookupTables();
    const withSources = await previewMap(
      rules,
      { c: 'FR', n: 'ada' },
      {
        resources: {
          loadLookupTable: (name) => tables.load('co_1', name),
          loadScript: (name, version) => scripts.load('co_1', name, version),
          sandbox: () => sandbox,
        },
      },
    );
    expect(withSources).toEqual({ output: { country: 'France', name: 'ADA' }, errors: [] });
    const without = await previewMap(rules, { c: 'FR', n: 'ada' });
    expect(without.errors.map((e) => e.rule)).toEqual([0, 1]);
  });

  it('finds the table names of lookup transforms in configured rules', () => {
    expect(
      lookupTableNames([
        { transforms: [{ fn: 'lookup', args: { table: 'a' } }, { fn: 'trim' }] },
        {
          transforms: [
            { fn: 'lookup', args: { table: 'a' } },
            { fn: 'lookup', args: { table: 'b' } },
          ],
        },
        null,
        { transforms: 'nope' },
      ]),
    ).toEqual(['a', 'b']);
  });
});
