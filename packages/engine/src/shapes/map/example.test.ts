import { readFileSync } from 'node:fs';
import type { FlowDefinition, MapConfig } from '@weft/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { createSandbox } from '../../sandbox/index.js';
import { mapShape } from './index.js';
import { shapeContext } from './test-support/context.js';

const sandbox = createSandbox({ memoryLimitMb: 32 });
afterAll(() => sandbox.dispose());

const example = JSON.parse(readFileSync(new URL('../../../../../examples/flows/map-lookup-script.json', import.meta.url), 'utf8')) as {
  definition: FlowDefinition;
};

describe('examples/flows/map-lookup-script.json', () => {
  it("maps orders through the company's lookup table and deployed script", async () => {
    const config = example.definition.steps.find((s) => s.id === 'map')?.config as MapConfig;
    const ctx = shapeContext(config);
    const result = await mapShape.execute(
      {
        ...ctx,
        services: {
          ...ctx.services,
          sandbox,
          lookupTables: {
            load: async (companyId, name) =>
              companyId === 'co_1' && name === 'countries' ? [{ left: 'GB', right: 'United Kingdom' }] : undefined,
          },
          scripts: {
            load: async (companyId, name) =>
              companyId === 'co_1' && name === 'slugify'
                ? {
                    code: 'function main({ payload }) { return { payload: payload.toLowerCase().replace(/[^a-z0-9]+/g, "-") }; }',
                    version: 1,
                  }
                : undefined,
          },
        },
      },
      [
        Payload.fromValue(
          [
            { id: 1, country: 'gb', title: 'Blue Mug' },
            { id: 2, country: 'XX', title: 'Red Pot' },
          ],
          'json',
        ),
      ],
    );
    expect(result.payloads[0]?.value()).toEqual([
      { order_id: 1, country_name: 'United Kingdom', slug: 'blue-mug' },
      { order_id: 2, country_name: 'Unknown', slug: 'red-pot' },
    ]);
  });
});
