import type { FlowDefinition } from '@weft/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHarness } from './conformance.js';
import type { JournalWrite, Run, Store } from './types.js';

const DEFINITION: FlowDefinition = {
  format: 'json',
  steps: [
    { id: 'trigger', shape: 'trigger', config: {} },
    { id: 'map', shape: 'map', name: 'Map', config: { rules: [{ source: 'a', target: 'b' }] } },
  ],
  edges: [{ from: 'trigger', to: 'map' }],
};

function finalStep(extra: Partial<JournalWrite> = {}): JournalWrite {
  return {
    itemKey: 'trigger>map',
    stepId: 'map',
    status: 'success',
    outputs: { '': [{ format: 'json', meta: {}, body: Buffer.from('{"b":1}') }] },
    variables: {},
    attempts: 1,
    startedAt: '2030-01-01T00:00:00.000Z',
    finishedAt: '2030-01-01T00:00:01.000Z',
    logs: [
      {
        stepId: 'map',
        stepName: 'Map',
        level: 'info',
        message: 'Map: 1 in, 1 out.',
        attempt: 1,
        durationMs: 1,
        payloadIdsIn: [],
        payloadIdsOut: [],
        data: null,
      },
    ],
    outputsLogIndex: 0,
    ...extra,
  };
}

/** recordFinalStep: a run's last step and its end in one write, run by each adapter's test file. */
export function finalStepConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance, a run's last step with its end: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    let a: string;
    let b: string;
    let run: Run;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
      const owner = (company: string) =>
        store.createCompanyWithAdmin({ companyName: company, name: 'Owner', email: `owner@${company}.test`, passwordHash: 'x' });
      a = (await owner('a')).company.id;
      b = (await owner('b')).company.id;
      const flow = await store.createFlow(a, { name: 'Orders', definition: DEFINITION });
      const version = await store.deployVersion(a, flow.draftVersionId, { enable: true });
      if (version === undefined) throw new Error('deploy returned undefined');
      ({ run } = await store.createRun(a, {
        flowId: flow.id,
        versionId: version.id,
        trigger: 'api',
        priority: 3,
        expedite: false,
        input: { format: 'json', meta: {}, body: Buffer.from('{"a":1}') },
      }));
      await store.claimRun(run.id, 'w1', 60_000);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    it('records the step, its payloads and logs, and finishes the run', async () => {
      const { ids, finished } = await store.recordFinalStep(run.id, a, finalStep(), 'w1', { status: 'success' });
      expect(finished).toBe(true);
      const out = ids['']?.[0];
      expect(out).toEqual(expect.any(String));
      expect(await store.loadJournal(run.id)).toEqual([
        expect.objectContaining({ itemKey: 'trigger>map', stepId: 'map', status: 'success', outputs: { '': [out] } }),
      ]);
      expect((await store.getPayloadBody(a, out ?? ''))?.toString()).toBe('{"b":1}');
      const logs = await store.listRunLogs(a, run.id);
      expect(logs).toEqual([expect.objectContaining({ message: 'Map: 1 in, 1 out.', payloadIdsOut: [out] })]);
      expect(await store.getRun(a, run.id)).toMatchObject({
        status: 'success',
        error: null,
        stepsCompleted: 1,
        finishedAt: expect.any(String),
      });
    });

    // Written at once, as a busy worker does: an adapter may group them into one write, and each
    // must still come out as if written alone.
    it('ends many runs at once, each by its own outcome, and a refused step or a lost lease affects only its run', async () => {
      const more = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const { run: other } = await store.createRun(a, {
            flowId: run.flowId,
            versionId: run.versionId,
            trigger: 'api',
            priority: 3,
            expedite: false,
            input: { format: 'json', meta: {}, body: Buffer.from('{"a":2}') },
          });
          await store.claimRun(other.id, 'w1', 60_000);
          return other;
        }),
      );
      const [lost, refused, ...ending] = more;
      if (lost === undefined || refused === undefined) throw new Error('runs missing');
      const broken = finalStep({ logs: [{ ...finalStep().logs[0]!, level: 'verbose' as 'info' }] });
      const results = await Promise.allSettled([
        ...ending.map((r, i) =>
          store.recordFinalStep(r.id, a, finalStep(), 'w1', i % 2 === 0 ? { status: 'success' } : { status: 'failure', error: `e${i}` }),
        ),
        store.recordFinalStep(lost.id, a, finalStep(), 'someone-else', { status: 'success' }),
        store.recordFinalStep(refused.id, a, broken, 'w1', { status: 'success' }),
        // A middle step of another run in the same moment.
        store.recordStep(run.id, a, finalStep({ itemKey: 'trigger' })),
      ]);
      for (const [i, r] of ending.entries()) {
        expect(results[i]).toMatchObject({ status: 'fulfilled', value: { finished: true } });
        expect(await store.getRun(a, r.id)).toMatchObject(
          i % 2 === 0 ? { status: 'success', error: null, stepsCompleted: 1 } : { status: 'failure', error: `e${i}`, stepsCompleted: 1 },
        );
        expect(await store.listRunLogs(a, r.id)).toHaveLength(1);
      }
      expect(results[ending.length]).toMatchObject({ status: 'fulfilled', value: { finished: false } });
      expect(await store.getRun(a, lost.id)).toMatchObject({ status: 'running', stepsCompleted: 1 });
      expect(results[ending.length + 1]?.status).toBe('rejected');
      expect(await store.getRun(a, refused.id)).toMatchObject({ status: 'running', stepsCompleted: 0 });
      expect(await store.loadJournal(refused.id)).toEqual([]);
      expect(results[ending.length + 2]?.status).toBe('fulfilled');
      expect(await store.getRun(a, run.id)).toMatchObject({ status: 'running', stepsCompleted: 1 });
    });

    it('keeps the error of a failed or partly successful end', async () => {
      const { finished } = await store.recordFinalStep(run.id, a, finalStep(), 'w1', { status: 'partial_success', error: 'caught' });
      expect(finished).toBe(true);
      expect(await store.getRun(a, run.id)).toMatchObject({ status: 'partial_success', error: 'caught' });
    });

    it('records the step but leaves the run to its new owner when the lease was lost', async () => {
      const { finished } = await store.recordFinalStep(run.id, a, finalStep(), 'someone-else', { status: 'success' });
      expect(finished).toBe(false);
      expect(await store.loadJournal(run.id)).toHaveLength(1);
      expect((await store.getRun(a, run.id))?.status).toBe('running');
    });

    it('never changes a run that already ended', async () => {
      await store.finishRun(run.id, 'w1', { status: 'stopped' });
      const { finished } = await store.recordFinalStep(run.id, a, finalStep(), 'w1', { status: 'success' });
      expect(finished).toBe(false);
      expect((await store.getRun(a, run.id))?.status).toBe('stopped');
    });

    it('a step recorded already keeps its first outputs, and the run still ends', async () => {
      const first = await store.recordStep(run.id, a, finalStep());
      const { ids, finished } = await store.recordFinalStep(run.id, a, finalStep(), 'w1', { status: 'success' });
      expect(ids).toEqual(first);
      expect(finished).toBe(true);
      expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(1);
    });

    it('refuses another company: nothing is recorded and the run does not end', async () => {
      await expect(store.recordFinalStep(run.id, b, finalStep(), 'w1', { status: 'success' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await store.loadJournal(run.id)).toEqual([]);
      expect((await store.getRun(a, run.id))?.status).toBe('running');
    });

    it('refuses a status that does not end a run, writing nothing', async () => {
      await expect(store.recordFinalStep(run.id, a, finalStep(), 'w1', { status: 'running' })).rejects.toMatchObject({
        code: 'INTERNAL',
      });
      expect(await store.loadJournal(run.id)).toEqual([]);
    });
  });
}
