import type { FlowDefinition } from '@weft/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { Store } from './types.js';

function withTrigger(config: Record<string, unknown>): FlowDefinition {
  return {
    format: 'json',
    steps: [
      { id: 'trigger', shape: 'trigger', config },
      { id: 'end', shape: 'set_variables', config: { meta: { seen: 'yes' } } },
    ],
    edges: [{ from: 'trigger', to: 'end' }],
  } as unknown as FlowDefinition;
}

/** The broker event triggers' part of the Store contract, run by each adapter's test file. */
export function eventTriggerConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, event triggers: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('lists the deployed, enabled flows with an enabled event trigger across companies', async () => {
      const owner = async (company: string) =>
        (await store.createCompanyWithAdmin({ companyName: company, name: 'Owner', email: `owner@${company}.test`, passwordHash: 'x' }))
          .company.id;
      const a = await owner('a');
      const b = await owner('b');
      const event = { url: 'amqp://broker.test:5672/%2F', queue: 'orders' };
      const deployed = async (companyId: string, flowName: string, config: Record<string, unknown>, enable = true) => {
        const flow = await store.createFlow(companyId, { name: flowName, definition: withTrigger(config), priority: 2 });
        const version = await store.deployVersion(companyId, flow.draftVersionId, { enable });
        return { flowId: flow.id, versionId: version!.id };
      };
      const one = await deployed(a, 'One', { event });
      const two = await deployed(b, 'Two', { event: { ...event, queue: 'stock', instance: 'inst_1' } });
      await deployed(a, 'Off', { event: { ...event, enabled: false } });
      await deployed(a, 'Disabled flow', { event }, false);
      await deployed(a, 'No event', { schedules: ['* * * * *'] });
      const draftOnly = await store.createFlow(a, { name: 'Draft', definition: withTrigger({ event }) });

      const listed = await store.listEventFlows();
      expect(listed).toEqual(
        [
          { companyId: a, ...one, priority: 2, event },
          { companyId: b, ...two, priority: 2, event: { ...event, queue: 'stock', instance: 'inst_1' } },
        ].sort((x, y) => (x.flowId < y.flowId ? -1 : 1)),
      );
      expect(listed.map((f) => f.flowId)).not.toContain(draftOnly.id);
      await store.updateFlow(a, one.flowId, { enabled: false });
      expect((await store.listEventFlows()).map((f) => f.flowId)).toEqual([two.flowId]);
    });
  });
}
