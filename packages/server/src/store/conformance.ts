import { createHash, randomBytes } from 'node:crypto';
import type { FlowDefinition } from '@weft/schema';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectorInput, CreateRunInput, JournalWrite, PayloadInput, Run, RunLogInput, SealedCredentials, Store } from './types.js';

/**
 * The behaviour every Store adapter must have (spec/quality.md §1.6: one suite, every mode).
 * An adapter's test file calls storeConformanceSuite with a factory for a store on an empty
 * database; the suite migrates it itself.
 *
 * Adapters must take the current time from the JS clock (Date), not the database's: the suite
 * moves time with vi.setSystemTime to test lease and idempotency expiry.
 */
export interface StoreHarness {
  store: Store;
  /** Closes whatever stores the harness opened and removes the database. */
  cleanup(): Promise<void>;
  /** Opens another store on the same database, after the suite closed the first. */
  reopen(): Promise<Store>;
  /**
   * The store reads the clock in another thread (the threaded SQLite store), where a test's fake
   * Date does not reach; tests that move time skip there. They run against the in-process
   * SQLite store, which is the same code.
   */
  separateClock?: boolean;
}

/** Skips a test that moves time with a fake Date when the store cannot see that clock. */
export function skipWhenClockIsSeparate(harness: Pick<StoreHarness, 'separateClock'>, skip: (note?: string) => void): void {
  if (harness.separateClock) skip('the store reads its clock in another thread');
}

const HOUR_MS = 60 * 60 * 1000;

function definition(label = 'v'): FlowDefinition {
  return {
    format: 'json',
    variables: { label },
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 'map', shape: 'map', name: 'Map', config: { rules: [{ source: 'a', target: 'b' }] } },
    ],
    edges: [{ from: 'trigger', to: 'map' }],
  };
}

function json(text: string, meta: Record<string, string> = {}): PayloadInput {
  return { format: 'json', meta, body: Buffer.from(text) };
}

function log(message: string, extra: Partial<RunLogInput> = {}): RunLogInput {
  return {
    stepId: 'map',
    stepName: 'Map',
    level: 'info',
    message,
    attempt: 1,
    durationMs: 3,
    payloadIdsIn: [],
    payloadIdsOut: [],
    data: null,
    ...extra,
  };
}

function step(itemKey: string, extra: Partial<JournalWrite> = {}): JournalWrite {
  return {
    itemKey,
    stepId: itemKey.split(':')[0] ?? itemKey,
    status: 'success',
    outputs: {},
    variables: {},
    attempts: 1,
    startedAt: '2030-01-01T00:00:00.000Z',
    finishedAt: '2030-01-01T00:00:01.000Z',
    logs: [],
    ...extra,
  };
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export function storeConformanceSuite(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
      await store.migrate();
    });

    afterEach(async () => {
      vi.useRealTimers();
      await harness.cleanup();
    });

    async function company(label: string) {
      return store.createCompanyWithAdmin({
        companyName: `${label} Ltd`,
        name: `${label} Admin`,
        email: `admin@${label.toLowerCase()}.test`,
        passwordHash: `hash-${label}`,
      });
    }

    async function deployedFlow(companyId: string, name = 'Orders') {
      const created = await store.createFlow(companyId, { name, definition: definition() });
      const version = await store.deployVersion(companyId, created.draftVersionId, { enable: true });
      if (version === undefined) throw new Error('deploy returned undefined');
      return { flowId: created.id, versionId: version.id };
    }

    async function startRun(
      companyId: string,
      target: { flowId: string; versionId: string },
      extra: Partial<CreateRunInput> = {},
    ): Promise<Run> {
      const result = await store.createRun(companyId, {
        flowId: target.flowId,
        versionId: target.versionId,
        trigger: 'api',
        priority: 3,
        expedite: false,
        input: json('{"n":1}'),
        ...extra,
      });
      return result.run;
    }

    /** Two companies, each with a deployed flow; what most tests start from. */
    async function twoTenants() {
      const a = await company('Acme');
      const b = await company('Bolt');
      const flowA = await deployedFlow(a.company.id);
      const flowB = await deployedFlow(b.company.id);
      return { a: a.company.id, b: b.company.id, adminA: a.user, flowA, flowB };
    }

    describe('migrations and lifecycle', () => {
      it('migrating again is harmless and keeps the data', async () => {
        const { a } = await twoTenants();
        await store.migrate();
        await store.migrate();
        expect((await store.listFlows(a, {}, { page: 1, perPage: 10 })).total).toBe(1);
      });

      it('keeps every committed write across a close and a reopen', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA, { input: json('{"kept":true}') });
        await store.initSetting('signing_key', 'k1');
        await store.close();

        const reopened = await harness.reopen();
        await reopened.migrate();
        expect(await reopened.getSetting('signing_key')).toBe('k1');
        expect((await reopened.getRun(a, run.id))?.status).toBe('queued');
        expect((await reopened.getPayloadBody(a, run.inputPayloadId ?? ''))?.toString()).toBe('{"kept":true}');
        expect(await reopened.loadJournal(run.id)).toEqual([]);
        store = reopened;
      });

      it('closing twice, even at once, is harmless', async () => {
        await Promise.all([store.close(), store.close()]);
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    describe('settings', () => {
      it('returns undefined for a setting never set', async () => {
        expect(await store.getSetting('missing')).toBeUndefined();
      });

      it('initSetting stores the first value and keeps it on later calls', async () => {
        expect(await store.initSetting('signing_key', 'first')).toBe('first');
        expect(await store.initSetting('signing_key', 'second')).toBe('first');
        expect(await store.getSetting('signing_key')).toBe('first');
      });

      it('concurrent initSetting calls all agree on one value', async () => {
        const values = await Promise.all(Array.from({ length: 10 }, (_, i) => store.initSetting('key', `v${i}`)));
        expect(new Set(values).size).toBe(1);
        expect(await store.getSetting('key')).toBe(values[0]);
      });
    });

    describe('companies and users', () => {
      it('creates a company with its first user as administrator', async () => {
        const { company: created, user } = await store.createCompanyWithAdmin({
          companyName: 'Acme Ltd',
          name: 'Jane Smith',
          email: 'jane@acme.test',
          passwordHash: 'h',
        });
        expect(created).toMatchObject({ name: 'Acme Ltd' });
        expect(user).toMatchObject({ companyId: created.id, name: 'Jane Smith', email: 'jane@acme.test', role: 'administrator' });
        expect(user).not.toHaveProperty('passwordHash');
        expect(await store.getCompany(created.id)).toEqual(created);
        expect(Date.parse(created.createdAt)).not.toBeNaN();
      });

      it('returns undefined for an unknown company', async () => {
        expect(await store.getCompany('no-such-company')).toBeUndefined();
      });

      it('stores emails lowercased and finds them whatever their case, with the password hash', async () => {
        await store.createCompanyWithAdmin({
          companyName: 'Acme',
          name: 'Jane',
          email: 'Jane.Smith@ACME.test',
          passwordHash: 'secret-hash',
        });
        const found = await store.findUserByEmail('JANE.smith@acme.TEST');
        expect(found).toMatchObject({ email: 'jane.smith@acme.test', passwordHash: 'secret-hash', role: 'administrator' });
        expect(await store.findUserByEmail('nobody@acme.test')).toBeUndefined();
      });

      it('refuses an email that exists in any case, for new companies and new users alike', async () => {
        const { company: acme } = await store.createCompanyWithAdmin({
          companyName: 'Acme',
          name: 'Jane',
          email: 'jane@acme.test',
          passwordHash: 'h',
        });
        await expect(
          store.createCompanyWithAdmin({ companyName: 'Other', name: 'J', email: 'JANE@acme.test', passwordHash: 'h' }),
        ).rejects.toMatchObject({ code: 'EMAIL_TAKEN' });
        await expect(
          store.createUser(acme.id, { name: 'J', email: 'Jane@Acme.Test', passwordHash: 'h', role: 'user' }),
        ).rejects.toMatchObject({
          code: 'EMAIL_TAKEN',
        });
        // The refused company was not half-created.
        expect(await store.findUserByEmail('jane@acme.test')).toMatchObject({ companyId: acme.id });
      });

      it('adds users to a company and lists only that company’s users', async () => {
        const { a, b } = await twoTenants();
        const added = await store.createUser(a, { name: 'Sam', email: 'sam@acme.test', passwordHash: 'h', role: 'read_only' });
        expect(added).toMatchObject({ companyId: a, role: 'read_only', email: 'sam@acme.test' });
        expect(await store.getUser(a, added.id)).toEqual(added);
        const listed = await store.listUsers(a);
        expect(listed.map((u) => u.email).sort()).toEqual(['admin@acme.test', 'sam@acme.test']);
        expect((await store.listUsers(b)).map((u) => u.email)).toEqual(['admin@bolt.test']);
      });

      it('does not show a user to another company', async () => {
        const { b, adminA } = await twoTenants();
        expect(await store.getUser(b, adminA.id)).toBeUndefined();
      });
    });

    describe('tokens', () => {
      it('records a token and revokes it', async () => {
        const { a, adminA } = await twoTenants();
        await store.createToken({ id: 'tok-1', userId: adminA.id, companyId: a, expiresAt: '2030-01-02T00:00:00.000Z' });
        expect(await store.getTokenGrant('tok-1')).toEqual({
          id: 'tok-1',
          userId: adminA.id,
          companyId: a,
          expiresAt: '2030-01-02T00:00:00.000Z',
          revokedAt: null,
          role: 'administrator',
        });
        await store.revokeToken('tok-1');
        const revoked = await store.getTokenGrant('tok-1');
        expect(revoked?.revokedAt).not.toBeNull();
        await store.revokeToken('tok-1');
        expect((await store.getTokenGrant('tok-1'))?.revokedAt).toBe(revoked?.revokedAt);
      });

      it('returns undefined for an unknown token and ignores revoking one', async () => {
        expect(await store.getTokenGrant('nope')).toBeUndefined();
        await expect(store.revokeToken('nope')).resolves.toBeUndefined();
      });
    });

    describe('API keys', () => {
      it('creates a key, finds it by hash, lists it and records its use', async () => {
        const { a } = await twoTenants();
        const key = await store.createApiKey(a, { id: 'key-1', name: 'warehouse', prefix: 'wft_abcd', keyHash: 'hash-1' });
        expect(key).toMatchObject({ id: 'key-1', companyId: a, name: 'warehouse', prefix: 'wft_abcd', lastUsedAt: null, revokedAt: null });
        expect(key).not.toHaveProperty('keyHash');
        expect(await store.findApiKeyByHash('hash-1')).toEqual(key);
        expect(await store.findApiKeyByHash('hash-2')).toBeUndefined();
        await store.touchApiKey('key-1', '2030-01-01T10:00:00.000Z');
        expect((await store.listApiKeys(a))[0]?.lastUsedAt).toBe('2030-01-01T10:00:00.000Z');
      });

      it('a revoked key is listed as revoked and no longer found by its hash', async () => {
        const { a } = await twoTenants();
        await store.createApiKey(a, { id: 'key-1', name: 'w', prefix: 'wft_1', keyHash: 'hash-1' });
        const revoked = await store.revokeApiKey(a, 'key-1');
        expect(revoked?.revokedAt).not.toBeNull();
        expect(await store.findApiKeyByHash('hash-1')).toBeUndefined();
        expect((await store.listApiKeys(a))[0]?.revokedAt).toBe(revoked?.revokedAt);
      });

      it('deleting a key removes it; deleting it again reports false', async () => {
        const { a } = await twoTenants();
        await store.createApiKey(a, { id: 'key-1', name: 'w', prefix: 'wft_1', keyHash: 'hash-1' });
        expect(await store.deleteApiKey(a, 'key-1')).toBe(true);
        expect(await store.deleteApiKey(a, 'key-1')).toBe(false);
        expect(await store.listApiKeys(a)).toEqual([]);
        expect(await store.findApiKeyByHash('hash-1')).toBeUndefined();
      });

      it('another company can neither list, revoke nor delete a key', async () => {
        const { a, b } = await twoTenants();
        await store.createApiKey(a, { id: 'key-1', name: 'w', prefix: 'wft_1', keyHash: 'hash-1' });
        expect(await store.listApiKeys(b)).toEqual([]);
        expect(await store.revokeApiKey(b, 'key-1')).toBeUndefined();
        expect(await store.deleteApiKey(b, 'key-1')).toBe(false);
        expect(await store.findApiKeyByHash('hash-1')).toMatchObject({ id: 'key-1', revokedAt: null });
      });
    });

    describe('flows', () => {
      it('creates a disabled flow of priority 3 with draft version 1', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'Orders', definition: definition() });
        expect(flow).toMatchObject({
          companyId: c.id,
          name: 'Orders',
          description: '',
          enabled: false,
          priority: 3,
          labels: [],
          deployedVersionId: null,
          versionsCount: 1,
          latestRunStatus: null,
        });
        const draft = await store.getVersion(c.id, flow.draftVersionId);
        expect(draft).toMatchObject({ flowId: flow.id, number: 1, status: 'draft', definition: definition(), deployedAt: null });
        expect(await store.getFlow(c.id, flow.id)).toEqual(flow);
      });

      it('keeps the description, labels and priority given at creation', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, {
          name: 'F',
          description: 'Sync',
          definition: definition(),
          labels: ['erp', 'nightly'],
          priority: 1,
        });
        expect(flow).toMatchObject({ description: 'Sync', labels: ['erp', 'nightly'], priority: 1 });
      });

      it('updates only the fields given', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'F', description: 'd', definition: definition(), labels: ['x'] });
        const updated = await store.updateFlow(c.id, flow.id, { enabled: true, priority: 5 });
        expect(updated).toMatchObject({ name: 'F', description: 'd', labels: ['x'], enabled: true, priority: 5 });
        const renamed = await store.updateFlow(c.id, flow.id, { name: 'G', labels: [] });
        expect(renamed).toMatchObject({ name: 'G', labels: [], enabled: true, priority: 5 });
        expect(await store.updateFlow(c.id, 'no-such-flow', { name: 'x' })).toBeUndefined();
      });

      it('filters the list by name (case-insensitive substring), enabled, deployed and label', async () => {
        const { company: c } = await company('Acme');
        const orders = await store.createFlow(c.id, { name: 'Shopify Orders', definition: definition(), labels: ['shop'] });
        const stock = await store.createFlow(c.id, { name: 'Stock levels', definition: definition(), labels: ['erp', 'shop'] });
        await store.createFlow(c.id, { name: 'Customers', definition: definition() });
        await store.deployVersion(c.id, orders.draftVersionId, { enable: true });
        await store.deployVersion(c.id, stock.draftVersionId, {});

        const names = async (filters: Parameters<Store['listFlows']>[1]) =>
          (await store.listFlows(c.id, filters, { page: 1, perPage: 50 })).rows.map((f) => f.name).sort();
        expect(await names({})).toEqual(['Customers', 'Shopify Orders', 'Stock levels']);
        expect(await names({ name: 'ORDERS' })).toEqual(['Shopify Orders']);
        expect(await names({ name: 'st' })).toEqual(['Customers', 'Stock levels']);
        expect(await names({ enabled: true })).toEqual(['Shopify Orders']);
        expect(await names({ enabled: false })).toEqual(['Customers', 'Stock levels']);
        expect(await names({ deployed: true })).toEqual(['Shopify Orders', 'Stock levels']);
        expect(await names({ deployed: false })).toEqual(['Customers']);
        expect(await names({ label: 'shop' })).toEqual(['Shopify Orders', 'Stock levels']);
        expect(await names({ label: 'erp', enabled: false })).toEqual(['Stock levels']);
        expect(await names({ name: '%' })).toEqual([]);
      });

      it('pages the list newest first with the total of all matches', async () => {
        const { company: c } = await company('Acme');
        for (const n of [1, 2, 3, 4, 5]) await store.createFlow(c.id, { name: `Flow ${n}`, definition: definition() });
        const first = await store.listFlows(c.id, {}, { page: 1, perPage: 2 });
        const third = await store.listFlows(c.id, {}, { page: 3, perPage: 2 });
        expect(first.total).toBe(5);
        expect(first.rows.map((f) => f.name)).toEqual(['Flow 5', 'Flow 4']);
        expect(third.rows.map((f) => f.name)).toEqual(['Flow 1']);
        expect((await store.listFlows(c.id, {}, { page: 4, perPage: 2 })).rows).toEqual([]);
      });

      it('reports the count of versions and the status of the newest run', async () => {
        const { a, flowA } = await twoTenants();
        expect(await store.getFlow(a, flowA.flowId)).toMatchObject({ versionsCount: 2, latestRunStatus: null });
        const first = await startRun(a, flowA);
        const claimed = await store.claimRun(first.id, 'w1', 60_000);
        expect(claimed).toBeDefined();
        await store.finishRun(first.id, 'w1', { status: 'failure', error: 'boom' });
        expect((await store.getFlow(a, flowA.flowId))?.latestRunStatus).toBe('failure');
        await startRun(a, flowA);
        const listed = await store.listFlows(a, {}, { page: 1, perPage: 10 });
        expect(listed.rows[0]).toMatchObject({ versionsCount: 2, latestRunStatus: 'queued' });
      });

      it("gives a flow's head (its own columns, fresh after a change) to its company only", async () => {
        const { a, b, flowA } = await twoTenants();
        const { versionsCount, latestRunStatus, ...own } = (await store.getFlow(a, flowA.flowId)) ?? {};
        expect(versionsCount).toBe(2);
        expect(latestRunStatus).toBeNull();
        expect(await store.getFlowHead(a, flowA.flowId)).toEqual(own);
        await store.updateFlow(a, flowA.flowId, { enabled: false, priority: 1 });
        expect(await store.getFlowHead(a, flowA.flowId)).toMatchObject({ enabled: false, priority: 1, deployedVersionId: flowA.versionId });
        expect(await store.getFlowHead(b, flowA.flowId)).toBeUndefined();
        expect(await store.getFlowHead(a, 'no-such-flow')).toBeUndefined();
      });

      it('deleting a flow removes its versions but keeps its runs and payloads', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        expect(await store.deleteFlow(a, flowA.flowId)).toBe(true);
        expect(await store.getFlow(a, flowA.flowId)).toBeUndefined();
        expect(await store.getVersion(a, flowA.versionId)).toBeUndefined();
        expect(await store.listVersions(a, flowA.flowId)).toEqual([]);
        expect((await store.getRun(a, run.id))?.flowId).toBe(flowA.flowId);
        expect(await store.getPayloadBody(a, run.inputPayloadId ?? '')).toBeDefined();
        expect(await store.deleteFlow(a, flowA.flowId)).toBe(false);
      });
    });

    describe('versions and deploys', () => {
      it('lists versions newest first', async () => {
        const { a, flowA } = await twoTenants();
        const versions = await store.listVersions(a, flowA.flowId);
        expect(versions.map((v) => [v.number, v.status])).toEqual([
          [2, 'draft'],
          [1, 'deployed'],
        ]);
      });

      it('deploying the draft deploys it and leaves a copy of it as the new draft', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'F', definition: definition('one') });
        const deployed = await store.deployVersion(c.id, flow.draftVersionId, {});
        expect(deployed).toMatchObject({ id: flow.draftVersionId, number: 1, status: 'deployed', definition: definition('one') });
        expect(deployed?.deployedAt).not.toBeNull();

        const after = await store.getFlow(c.id, flow.id);
        expect(after).toMatchObject({ deployedVersionId: flow.draftVersionId, enabled: false, versionsCount: 2 });
        expect(after?.draftVersionId).not.toBe(flow.draftVersionId);
        const draft = await store.getVersion(c.id, after?.draftVersionId ?? '');
        expect(draft).toMatchObject({ number: 2, status: 'draft', definition: definition('one'), deployedAt: null });
      });

      it('deploying again makes the previous deployed version inactive, with exactly one draft throughout', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'F', definition: definition('one') });
        await store.deployVersion(c.id, flow.draftVersionId, {});
        const draft2 = (await store.getFlow(c.id, flow.id))?.draftVersionId ?? '';
        await store.updateDraft(c.id, draft2, definition('two'));
        await store.deployVersion(c.id, draft2, { enable: true });

        const versions = await store.listVersions(c.id, flow.id);
        expect(versions.map((v) => [v.number, v.status, v.definition.variables?.label])).toEqual([
          [3, 'draft', 'two'],
          [2, 'deployed', 'two'],
          [1, 'inactive', 'one'],
        ]);
        const after = await store.getFlow(c.id, flow.id);
        expect(after).toMatchObject({ enabled: true, deployedVersionId: draft2, draftVersionId: versions[0]?.id, versionsCount: 3 });
      });

      it('redeploying an inactive version keeps the draft and makes the current one inactive', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'F', definition: definition('one') });
        const v1 = flow.draftVersionId;
        await store.deployVersion(c.id, v1, {});
        const v2 = (await store.getFlow(c.id, flow.id))?.draftVersionId ?? '';
        await store.deployVersion(c.id, v2, {});
        const draftBefore = (await store.getFlow(c.id, flow.id))?.draftVersionId;

        const redeployed = await store.deployVersion(c.id, v1, {});
        expect(redeployed).toMatchObject({ id: v1, status: 'deployed' });
        const statuses = (await store.listVersions(c.id, flow.id)).map((v) => [v.number, v.status]);
        expect(statuses).toEqual([
          [3, 'draft'],
          [2, 'inactive'],
          [1, 'deployed'],
        ]);
        expect(await store.getFlow(c.id, flow.id)).toMatchObject({ deployedVersionId: v1, draftVersionId: draftBefore });
      });

      it('deploying the deployed version changes nothing but may enable the flow', async () => {
        const { a, flowA } = await twoTenants();
        await store.updateFlow(a, flowA.flowId, { enabled: false });
        const again = await store.deployVersion(a, flowA.versionId, { enable: true });
        expect(again).toMatchObject({ status: 'deployed', number: 1 });
        expect(await store.getFlow(a, flowA.flowId)).toMatchObject({ enabled: true, versionsCount: 2 });
      });

      it('version numbers keep increasing after many deploys', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'F', definition: definition() });
        for (let i = 0; i < 4; i++) {
          const draft = (await store.getFlow(c.id, flow.id))?.draftVersionId ?? '';
          await store.deployVersion(c.id, draft, {});
        }
        const versions = await store.listVersions(c.id, flow.id);
        expect(versions.map((v) => v.number)).toEqual([5, 4, 3, 2, 1]);
        expect(versions.filter((v) => v.status === 'draft')).toHaveLength(1);
        expect(versions.filter((v) => v.status === 'deployed')).toHaveLength(1);
      });

      it('only the draft can be changed', async () => {
        const { a, flowA } = await twoTenants();
        await expect(store.updateDraft(a, flowA.versionId, definition('x'))).rejects.toMatchObject({ code: 'VERSION_READ_ONLY' });
        const draftId = (await store.getFlow(a, flowA.flowId))?.draftVersionId ?? '';
        const updated = await store.updateDraft(a, draftId, definition('edited'));
        expect(updated).toMatchObject({ id: draftId, status: 'draft', definition: definition('edited') });
        expect(await store.updateDraft(a, 'no-such-version', definition())).toBeUndefined();
      });

      it('copying a version to the draft replaces the draft’s definition and returns the draft', async () => {
        const { company: c } = await company('Acme');
        const flow = await store.createFlow(c.id, { name: 'F', definition: definition('one') });
        await store.deployVersion(c.id, flow.draftVersionId, {});
        const draftId = (await store.getFlow(c.id, flow.id))?.draftVersionId ?? '';
        await store.updateDraft(c.id, draftId, definition('two'));

        const draft = await store.copyToDraft(c.id, flow.draftVersionId);
        expect(draft).toMatchObject({ id: draftId, status: 'draft', number: 2, definition: definition('one') });
        expect(await store.copyToDraft(c.id, draftId)).toMatchObject({ id: draftId, definition: definition('one') });
        expect((await store.listVersions(c.id, flow.id)).length).toBe(2);
        expect(await store.copyToDraft(c.id, 'no-such-version')).toBeUndefined();
      });
    });

    describe('tenancy', () => {
      it('another company cannot see or change a flow or its versions', async () => {
        const { a, b, flowA } = await twoTenants();
        const draftId = (await store.getFlow(a, flowA.flowId))?.draftVersionId ?? '';
        expect(await store.getFlow(b, flowA.flowId)).toBeUndefined();
        expect((await store.listFlows(b, {}, { page: 1, perPage: 50 })).rows.map((f) => f.id)).not.toContain(flowA.flowId);
        expect(await store.updateFlow(b, flowA.flowId, { name: 'hijacked', enabled: false })).toBeUndefined();
        expect(await store.deleteFlow(b, flowA.flowId)).toBe(false);
        expect(await store.listVersions(b, flowA.flowId)).toEqual([]);
        expect(await store.getVersion(b, flowA.versionId)).toBeUndefined();
        expect(await store.updateDraft(b, draftId, definition('hijacked'))).toBeUndefined();
        expect(await store.deployVersion(b, draftId, { enable: true })).toBeUndefined();
        expect(await store.copyToDraft(b, flowA.versionId)).toBeUndefined();

        expect(await store.getFlow(a, flowA.flowId)).toMatchObject({
          name: 'Orders',
          enabled: true,
          deployedVersionId: flowA.versionId,
          draftVersionId: draftId,
        });
        expect((await store.getVersion(a, draftId))?.definition).toEqual(definition());
      });

      it('another company cannot see, start from or stop a run, nor read its logs and payloads', async () => {
        const { a, b, flowA, flowB } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.appendLogs(run.id, [log('secret')]);
        const payloadId = run.inputPayloadId ?? '';

        expect(await store.getRun(b, run.id)).toBeUndefined();
        expect((await store.listRuns(b, {}, '-queued_at', { page: 1, perPage: 50 })).rows.map((r) => r.id)).not.toContain(run.id);
        expect((await store.listRuns(b, { flowId: [flowA.flowId] }, '-queued_at', { page: 1, perPage: 50 })).total).toBe(0);
        expect(await store.requestStop(b, run.id)).toBeUndefined();
        expect(await store.listRunLogs(b, run.id)).toEqual([]);
        expect(await store.getPayload(b, payloadId)).toBeUndefined();
        expect(await store.getPayloadBody(b, payloadId)).toBeUndefined();
        await expect(startRun(b, flowA)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(startRun(b, { flowId: flowB.flowId, versionId: flowA.versionId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(startRun(b, flowB, { retryOfRunId: run.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(store.recordStep(run.id, b, step('map:0'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

        expect(await store.getRun(a, run.id)).toMatchObject({ status: 'queued', stopRequested: false, stepsCompleted: 0 });
        expect(await store.loadJournal(run.id)).toEqual([]);
      });

      it('a run cannot take over another company’s payload by id', async () => {
        const { a, b, flowA, flowB } = await twoTenants();
        const runA = await startRun(a, flowA);
        const runB = await startRun(b, flowB);
        const foreign = runA.inputPayloadId ?? '';
        await expect(
          store.recordStep(runB.id, b, step('map:0', { outputs: { '': [{ id: foreign, ...json('') }] } })),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(store.loadPayloads(runB.id, [foreign])).rejects.toMatchObject({ code: 'PAYLOAD_EXPIRED' });
      });

      it('counts running runs per company', async () => {
        const { a, b, flowA, flowB } = await twoTenants();
        const runA1 = await startRun(a, flowA);
        const runA2 = await startRun(a, flowA);
        const runB = await startRun(b, flowB);
        for (const run of [runA1, runA2, runB]) await store.claimRun(run.id, 'w', 60_000);
        await store.finishRun(runA2.id, 'w', { status: 'success' });
        expect(await store.countRunning(a)).toBe(1);
        expect(await store.countRunning(b)).toBe(1);
      });
    });

    describe('creating runs', () => {
      it('stores the run queued with its input payload', async () => {
        const { a, flowA } = await twoTenants();
        const { run, replayed } = await store.createRun(a, {
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          trigger: 'manual',
          priority: 2,
          expedite: true,
          input: { format: 'xml', meta: { source: 'shop' }, body: Buffer.from('<a/>') },
          variables: { region: 'eu' },
        });
        expect(replayed).toBe(false);
        expect(run).toMatchObject({
          companyId: a,
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          status: 'queued',
          trigger: 'manual',
          priority: 2,
          expedite: true,
          variables: { region: 'eu' },
          parentRunId: null,
          retryOfRunId: null,
          stopRequested: false,
          error: null,
          stepsCompleted: 0,
          attempts: 0,
          startedAt: null,
          finishedAt: null,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        expect(await store.getRun(a, run.id)).toEqual(run);
        expect(await store.getPayload(a, run.inputPayloadId ?? '')).toMatchObject({
          companyId: a,
          runId: run.id,
          format: 'xml',
          meta: { source: 'shop' },
          bytes: 4,
          sha256: sha256(Buffer.from('<a/>')),
        });
        expect((await store.getPayloadBody(a, run.inputPayloadId ?? ''))?.toString()).toBe('<a/>');
      });

      it('links a retry and a child run to the runs they came from', async () => {
        const { a, flowA } = await twoTenants();
        const original = await startRun(a, flowA);
        const retry = await startRun(a, flowA, { trigger: 'retry', retryOfRunId: original.id });
        const child = await startRun(a, flowA, { trigger: 'shape', parentRunId: original.id });
        expect(await store.getRun(a, retry.id)).toMatchObject({ retryOfRunId: original.id, parentRunId: null });
        expect(await store.getRun(a, child.id)).toMatchObject({ parentRunId: original.id, retryOfRunId: null });
      });

      it('refuses a version that does not belong to the flow', async () => {
        const { a, flowA } = await twoTenants();
        const other = await deployedFlow(a, 'Other');
        await expect(startRun(a, { flowId: flowA.flowId, versionId: other.versionId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect((await store.listRuns(a, {}, '-queued_at', { page: 1, perPage: 10 })).total).toBe(0);
      });

      it('stores an empty input payload', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA, { input: { format: 'text', meta: {}, body: Buffer.alloc(0) } });
        expect(await store.getPayload(a, run.inputPayloadId ?? '')).toMatchObject({ bytes: 0, format: 'text' });
        expect((await store.getPayloadBody(a, run.inputPayloadId ?? ''))?.length).toBe(0);
      });
    });

    describe('idempotency', () => {
      const key = (requestHash: string) => ({ idempotency: { key: 'order-42', requestHash } });

      it('a repeated key with the same request returns the first run and creates nothing', async () => {
        const { a, flowA } = await twoTenants();
        const first = await store.createRun(a, {
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: json('{}'),
          ...key('h1'),
        });
        const second = await store.createRun(a, {
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: json('{}'),
          ...key('h1'),
        });
        expect(first.replayed).toBe(false);
        expect(second.replayed).toBe(true);
        expect(second.run.id).toBe(first.run.id);
        expect((await store.listRuns(a, {}, '-queued_at', { page: 1, perPage: 10 })).total).toBe(1);
      });

      it('the replay returns the run as it is now', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA, key('h1'));
        await store.claimRun(run.id, 'w', 60_000);
        const again = await store.createRun(a, {
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: json('{}'),
          ...key('h1'),
        });
        expect(again).toMatchObject({ replayed: true, run: { id: run.id, status: 'running' } });
      });

      it('a repeated key with a different request is refused and creates nothing', async () => {
        const { a, flowA } = await twoTenants();
        await startRun(a, flowA, key('h1'));
        await expect(startRun(a, flowA, key('h2'))).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
        expect((await store.listRuns(a, {}, '-queued_at', { page: 1, perPage: 10 })).total).toBe(1);
      });

      it('keys are per company', async () => {
        const { a, b, flowA, flowB } = await twoTenants();
        const runA = await startRun(a, flowA, key('h1'));
        const runB = await store.createRun(b, {
          flowId: flowB.flowId,
          versionId: flowB.versionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: json('{}'),
          ...key('other'),
        });
        expect(runB.replayed).toBe(false);
        expect(runB.run.id).not.toBe(runA.id);
      });

      it('a key expires after 24 hours and may then be used for a new run', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.now();
        const { a, flowA } = await twoTenants();
        const first = await startRun(a, flowA, key('h1'));

        vi.setSystemTime(start + 23 * HOUR_MS);
        await expect(startRun(a, flowA, key('h2'))).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });

        vi.setSystemTime(start + 25 * HOUR_MS);
        const reused = await store.createRun(a, {
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: json('{}'),
          ...key('h2'),
        });
        expect(reused.replayed).toBe(false);
        expect(reused.run.id).not.toBe(first.id);
        // From now on the key belongs to the new request.
        const replay = await store.createRun(a, {
          flowId: flowA.flowId,
          versionId: flowA.versionId,
          trigger: 'api',
          priority: 3,
          expedite: false,
          input: json('{}'),
          ...key('h2'),
        });
        expect(replay).toMatchObject({ replayed: true, run: { id: reused.run.id } });
      });

      it('many concurrent starts with one key create exactly one run', async () => {
        const { a, flowA } = await twoTenants();
        const results = await Promise.all(
          Array.from({ length: 25 }, () =>
            store.createRun(a, {
              flowId: flowA.flowId,
              versionId: flowA.versionId,
              trigger: 'api',
              priority: 3,
              expedite: false,
              input: json('{"same":1}'),
              ...key('h1'),
            }),
          ),
        );
        expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
        expect(results.filter((r) => !r.replayed)).toHaveLength(1);
        expect((await store.listRuns(a, {}, '-queued_at', { page: 1, perPage: 50 })).total).toBe(1);
      });

      it('concurrent starts with one key and different requests create one run and refuse the rest', async () => {
        const { a, flowA } = await twoTenants();
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => startRun(a, flowA, key(`h${i}`))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
        expect((await store.listRuns(a, {}, '-queued_at', { page: 1, perPage: 50 })).total).toBe(1);
      });
    });

    describe('listing runs', () => {
      /** Three runs with distinct, known start times, and one still queued. */
      async function history() {
        vi.useFakeTimers({ toFake: ['Date'] });
        const t0 = Date.now();
        const { a, b, flowA, flowB } = await twoTenants();
        const other = await deployedFlow(a, 'Other');
        const runs: Run[] = [];
        const plan = [
          { flow: flowA, trigger: 'api' as const, status: 'success' as const },
          { flow: other, trigger: 'manual' as const, status: 'failure' as const },
          { flow: flowA, trigger: 'webhook' as const, status: 'success' as const },
        ];
        for (const [i, p] of plan.entries()) {
          vi.setSystemTime(t0 + (i + 1) * 60_000);
          const run = await startRun(a, p.flow, { trigger: p.trigger });
          await store.claimRun(run.id, 'w', 30_000);
          vi.setSystemTime(t0 + (i + 1) * 60_000 + (3 - i) * 1000);
          await store.finishRun(run.id, 'w', { status: p.status });
          runs.push(run);
        }
        vi.setSystemTime(t0 + 10 * 60_000);
        const queued = await startRun(a, flowA);
        await startRun(b, flowB);
        return { a, flowA, other, runs, queued, t0 };
      }

      const ids = (rows: Run[]) => rows.map((r) => r.id);

      it('sorts by start time, counting runs not started yet as the newest', async () => {
        const { a, runs, queued } = await history();
        const page = await store.listRuns(a, {}, '-started_at', { page: 1, perPage: 10 });
        expect(page.total).toBe(4);
        expect(ids(page.rows)).toEqual([queued.id, runs[2]?.id, runs[1]?.id, runs[0]?.id]);
        const oldest = await store.listRuns(a, {}, 'started_at', { page: 1, perPage: 10 });
        expect(ids(oldest.rows)).toEqual([runs[0]?.id, runs[1]?.id, runs[2]?.id, queued.id]);
      });

      it('sorts by queue time and by finish time', async () => {
        const { a, runs, queued } = await history();
        expect(ids((await store.listRuns(a, {}, '-queued_at', { page: 1, perPage: 10 })).rows)).toEqual([
          queued.id,
          runs[2]?.id,
          runs[1]?.id,
          runs[0]?.id,
        ]);
        expect(ids((await store.listRuns(a, {}, 'queued_at', { page: 1, perPage: 10 })).rows)).toEqual([
          runs[0]?.id,
          runs[1]?.id,
          runs[2]?.id,
          queued.id,
        ]);
        expect(ids((await store.listRuns(a, {}, '-finished_at', { page: 1, perPage: 10 })).rows)).toEqual([
          queued.id,
          runs[2]?.id,
          runs[1]?.id,
          runs[0]?.id,
        ]);
        expect(ids((await store.listRuns(a, {}, 'finished_at', { page: 1, perPage: 10 })).rows)).toEqual([
          runs[0]?.id,
          runs[1]?.id,
          runs[2]?.id,
          queued.id,
        ]);
      });

      it('filters by flow, version, status and trigger, with any-of lists', async () => {
        const { a, flowA, other, runs, queued } = await history();
        const list = async (filters: Parameters<Store['listRuns']>[1]) => {
          const page = await store.listRuns(a, filters, '-queued_at', { page: 1, perPage: 10 });
          expect(page.total).toBe(page.rows.length);
          return ids(page.rows);
        };
        expect(await list({ flowId: [flowA.flowId] })).toEqual([queued.id, runs[2]?.id, runs[0]?.id]);
        expect(await list({ flowId: [flowA.flowId, other.flowId] })).toHaveLength(4);
        expect(await list({ versionId: [other.versionId] })).toEqual([runs[1]?.id]);
        expect(await list({ status: ['success'] })).toEqual([runs[2]?.id, runs[0]?.id]);
        expect(await list({ status: ['failure', 'queued'] })).toEqual([queued.id, runs[1]?.id]);
        expect(await list({ trigger: ['manual', 'webhook'] })).toEqual([runs[2]?.id, runs[1]?.id]);
        expect(await list({ flowId: [flowA.flowId], status: ['success'], trigger: ['api'] })).toEqual([runs[0]?.id]);
        expect(await list({ flowId: [] })).toHaveLength(4);
      });

      it('filters by start time from (inclusive) and before (exclusive)', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        const { a, runs, t0 } = await history();
        const at = (ms: number) => new Date(t0 + ms).toISOString();
        const list = async (filters: Parameters<Store['listRuns']>[1]) =>
          ids((await store.listRuns(a, filters, 'started_at', { page: 1, perPage: 10 })).rows);
        expect(await list({ startedAfter: at(2 * 60_000) })).toEqual([runs[1]?.id, runs[2]?.id]);
        expect(await list({ startedBefore: at(2 * 60_000) })).toEqual([runs[0]?.id]);
        expect(await list({ startedAfter: at(60_000 + 1), startedBefore: at(3 * 60_000) })).toEqual([runs[1]?.id]);
        // Timestamps in another ISO form (no milliseconds, an offset) mean the same instant.
        const noMs = new Date(t0 + 2 * 60_000).toISOString().replace('.000Z', 'Z');
        expect(await list({ startedAfter: noMs })).toEqual([runs[1]?.id, runs[2]?.id]);
      });

      it('refuses a start-time filter that is not a timestamp', async () => {
        const { a } = await twoTenants();
        await expect(store.listRuns(a, { startedAfter: 'yesterday' }, '-started_at', { page: 1, perPage: 10 })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
      });

      it('pages through runs with a stable total', async () => {
        const { a, flowA } = await twoTenants();
        const created: Run[] = [];
        for (let i = 0; i < 7; i++) created.push(await startRun(a, flowA));
        const newestFirst = created.map((r) => r.id).reverse();
        const pages = [];
        for (const page of [1, 2, 3]) pages.push(await store.listRuns(a, {}, '-queued_at', { page, perPage: 3 }));
        expect(pages.map((p) => p.total)).toEqual([7, 7, 7]);
        expect(pages.flatMap((p) => ids(p.rows))).toEqual(newestFirst);
        expect((await store.listRuns(a, {}, '-queued_at', { page: 4, perPage: 3 })).rows).toEqual([]);
      });
    });

    describe('stopping runs', () => {
      it('a queued run stops at once', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        const stopped = await store.requestStop(a, run.id);
        expect(stopped).toMatchObject({ status: 'stopped', stopRequested: true });
        expect(stopped?.finishedAt).not.toBeNull();
        expect(await store.claimRun(run.id, 'w', 60_000)).toBeUndefined();
        expect((await store.listRunnable(10)).map((r) => r.id)).not.toContain(run.id);
      });

      it('a running run is asked to stop and keeps running until its worker finishes it', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.claimRun(run.id, 'w', 60_000);
        expect(await store.requestStop(a, run.id)).toMatchObject({ status: 'running', stopRequested: true, finishedAt: null });
        expect(await store.requestStop(a, run.id)).toMatchObject({ status: 'running', stopRequested: true });
        expect(await store.finishRun(run.id, 'w', { status: 'stopped' })).toBe(true);
        expect(await store.getRun(a, run.id)).toMatchObject({ status: 'stopped' });
      });

      it('a finished run cannot be stopped', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.claimRun(run.id, 'w', 60_000);
        await store.finishRun(run.id, 'w', { status: 'success' });
        await expect(store.requestStop(a, run.id)).rejects.toMatchObject({ code: 'RUN_NOT_STOPPABLE' });
        expect(await store.getRun(a, run.id)).toMatchObject({ status: 'success', stopRequested: false });
      });

      it('an unknown run gives undefined', async () => {
        const { a } = await twoTenants();
        expect(await store.requestStop(a, 'no-such-run')).toBeUndefined();
      });
    });

    describe('leases', () => {
      it('claiming a queued run makes it running under the claimer’s lease', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        const now = Date.now();
        const claimed = await store.claimRun(run.id, 'worker-1', 30_000);
        expect(claimed).toMatchObject({
          id: run.id,
          status: 'running',
          leaseOwner: 'worker-1',
          leaseExpiresAt: new Date(now + 30_000).toISOString(),
          startedAt: new Date(now).toISOString(),
          attempts: 1,
        });
        expect(await store.getRun(a, run.id)).toEqual(claimed);
      });

      it('a run is claimed once: a second claimer gets nothing while the lease lasts', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        const claims = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((owner) => store.claimRun(run.id, owner, 60_000)));
        expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
        expect(await store.claimRun(run.id, 'w9', 60_000)).toBeUndefined();
      });

      it('an expired lease may be claimed by another worker; the start time stays', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.now();
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        const first = await store.claimRun(run.id, 'w1', 30_000);

        vi.setSystemTime(start + 29_000);
        expect(await store.claimRun(run.id, 'w2', 30_000)).toBeUndefined();
        vi.setSystemTime(start + 31_000);
        const second = await store.claimRun(run.id, 'w2', 30_000);
        expect(second).toMatchObject({ leaseOwner: 'w2', attempts: 2, startedAt: first?.startedAt });

        expect(await store.renewLease(run.id, 'w1', 30_000)).toBe(false);
        expect(await store.finishRun(run.id, 'w1', { status: 'success' })).toBe(false);
        expect(await store.getRun(a, run.id)).toMatchObject({ status: 'running', leaseOwner: 'w2' });
      });

      it('the owner renews its lease; others cannot', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.now();
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.claimRun(run.id, 'w1', 30_000);
        vi.setSystemTime(start + 20_000);
        expect(await store.renewLease(run.id, 'w1', 30_000)).toBe(true);
        expect(await store.renewLease(run.id, 'w2', 30_000)).toBe(false);
        expect((await store.getRun(a, run.id))?.leaseExpiresAt).toBe(new Date(start + 50_000).toISOString());
        vi.setSystemTime(start + 40_000);
        expect(await store.claimRun(run.id, 'w2', 30_000)).toBeUndefined();
      });

      it('a released run is queued again without a lease and can be claimed by anyone', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.claimRun(run.id, 'w1', 60_000);
        await store.releaseRun(run.id, 'w2');
        expect((await store.getRun(a, run.id))?.leaseOwner).toBe('w1');
        await store.releaseRun(run.id, 'w1');
        expect(await store.getRun(a, run.id)).toMatchObject({ status: 'queued', leaseOwner: null, leaseExpiresAt: null });
        expect(await store.claimRun(run.id, 'w2', 60_000)).toMatchObject({ leaseOwner: 'w2', attempts: 2 });
      });

      it('only the lease owner finishes a run, and a terminal status never changes', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.claimRun(run.id, 'w1', 60_000);
        expect(await store.finishRun(run.id, 'w2', { status: 'success' })).toBe(false);
        expect(await store.finishRun(run.id, 'w1', { status: 'failure', error: 'Step "map" failed' })).toBe(true);
        const finished = await store.getRun(a, run.id);
        expect(finished).toMatchObject({ status: 'failure', error: 'Step "map" failed', leaseOwner: null, leaseExpiresAt: null });
        expect(finished?.finishedAt).not.toBeNull();

        expect(await store.finishRun(run.id, 'w1', { status: 'success' })).toBe(false);
        expect(await store.claimRun(run.id, 'w3', 60_000)).toBeUndefined();
        await store.releaseRun(run.id, 'w1');
        expect(await store.getRun(a, run.id)).toEqual(finished);
      });

      it('a run never claimed cannot be finished, and a stopped queued run cannot be finished', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        expect(await store.finishRun(run.id, 'w1', { status: 'success' })).toBe(false);
        await store.requestStop(a, run.id);
        expect(await store.finishRun(run.id, 'w1', { status: 'success' })).toBe(false);
        expect((await store.getRun(a, run.id))?.status).toBe('stopped');
      });

      it('finishing with a status that is not terminal is a bug and changes nothing', async () => {
        const { a, flowA } = await twoTenants();
        const run = await startRun(a, flowA);
        await store.claimRun(run.id, 'w1', 60_000);
        await expect(store.finishRun(run.id, 'w1', { status: 'queued' })).rejects.toThrow();
        expect((await store.getRun(a, run.id))?.status).toBe('running');
      });

      it('claiming an unknown run gives undefined', async () => {
        expect(await store.claimRun('no-such-run', 'w1', 60_000)).toBeUndefined();
        expect(await store.renewLease('no-such-run', 'w1', 60_000)).toBe(false);
      });

      it('lists runnable runs, oldest first: queued ones and running ones whose lease expired', async ({ skip }) => {
        skipWhenClockIsSeparate(harness, skip);
        vi.useFakeTimers({ toFake: ['Date'] });
        const start = Date.now();
        const { a, b, flowA, flowB } = await twoTenants();
        const expired = await startRun(a, flowA);
        const leased = await startRun(a, flowA);
        const done = await startRun(b, flowB);
        const queuedA = await startRun(a, flowA);
        const queuedB = await startRun(b, flowB);
        await store.claimRun(expired.id, 'w1', 10_000);
        await store.claimRun(leased.id, 'w1', 120_000);
        await store.claimRun(done.id, 'w1', 10_000);
        await store.finishRun(done.id, 'w1', { status: 'success' });

        vi.setSystemTime(start + 60_000);
        expect((await store.listRunnable(10)).map((r) => r.id)).toEqual([expired.id, queuedA.id, queuedB.id]);
        expect((await store.listRunnable(2)).map((r) => r.id)).toEqual([expired.id, queuedA.id]);
      });
    });

    describe('journal, logs and payloads', () => {
      async function claimedRun() {
        const tenants = await twoTenants();
        const run = await startRun(tenants.a, tenants.flowA, { input: json('[{"id":1}]') });
        await store.claimRun(run.id, 'w1', 60_000);
        return { ...tenants, run };
      }

      it('records a step with its output payloads and logs, and loads them back', async () => {
        const { a, run } = await claimedRun();
        const input = run.inputPayloadId ?? '';
        const outputs = await store.recordStep(
          run.id,
          a,
          step('map:0', {
            outputs: {
              '': [json('{"b":1}', { part: '1' }), json('{"b":2}')],
              invalid: [{ ...json('{"bad":true}') }],
              passthrough: [{ id: input, ...json('') }],
            },
            variables: { cursor: '7' },
            attempts: 2,
            logs: [log('Map: 1 in, 2 out.', { payloadIdsIn: [input], data: { rules: 3 } }), log('second', { level: 'warning' })],
          }),
        );
        expect(outputs['']).toHaveLength(2);
        expect(outputs.invalid).toHaveLength(1);
        expect(outputs.passthrough).toEqual([input]);

        expect(await store.loadJournal(run.id)).toEqual([
          {
            itemKey: 'map:0',
            stepId: 'map',
            status: 'success',
            outputs,
            variables: { cursor: '7' },
            attempts: 2,
            startedAt: '2030-01-01T00:00:00.000Z',
            finishedAt: '2030-01-01T00:00:01.000Z',
          },
        ]);
        const loaded = await store.loadPayloads(run.id, [...(outputs[''] ?? []), input]);
        expect(loaded.map((p) => [p.format, p.meta, p.body.toString()])).toEqual([
          ['json', { part: '1' }, '{"b":1}'],
          ['json', {}, '{"b":2}'],
          ['json', {}, '[{"id":1}]'],
        ]);
        expect(await store.getPayload(a, outputs['']?.[0] ?? '')).toMatchObject({
          runId: run.id,
          bytes: 7,
          sha256: sha256(Buffer.from('{"b":1}')),
        });

        const logs = await store.listRunLogs(a, run.id);
        expect(logs).toMatchObject([
          {
            runId: run.id,
            stepId: 'map',
            stepName: 'Map',
            level: 'info',
            message: 'Map: 1 in, 2 out.',
            attempt: 1,
            durationMs: 3,
            payloadIdsIn: [input],
            payloadIdsOut: [],
            data: { rules: 3 },
          },
          { level: 'warning', message: 'second', data: null },
        ]);
        expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(1);
      });

      it('keeps the journal in the order the steps were recorded', async () => {
        const { a, run } = await claimedRun();
        for (const itemKey of ['trigger:0', 'map:0', 'connector:1', 'connector:0']) await store.recordStep(run.id, a, step(itemKey));
        expect((await store.loadJournal(run.id)).map((r) => r.itemKey)).toEqual(['trigger:0', 'map:0', 'connector:1', 'connector:0']);
        expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(4);
      });

      it('records a failed step with its logs', async () => {
        const { a, run } = await claimedRun();
        await store.recordStep(run.id, a, step('map:0', { status: 'failure', attempts: 3, logs: [log('failed', { level: 'error' })] }));
        expect(await store.loadJournal(run.id)).toMatchObject([{ itemKey: 'map:0', status: 'failure', outputs: {}, attempts: 3 }]);
        expect((await store.listRunLogs(a, run.id)).map((l) => l.level)).toEqual(['error']);
      });

      it('recording the same item twice keeps the first record and returns its outputs', async () => {
        const { a, run } = await claimedRun();
        const first = await store.recordStep(run.id, a, step('map:0', { outputs: { '': [json('"first"')] }, logs: [log('first')] }));
        const second = await store.recordStep(run.id, a, step('map:0', { outputs: { '': [json('"second"')] }, logs: [log('second')] }));
        expect(second).toEqual(first);
        expect(await store.loadJournal(run.id)).toHaveLength(1);
        expect((await store.loadPayloads(run.id, first[''] ?? []))[0]?.body.toString()).toBe('"first"');
        expect((await store.listRunLogs(a, run.id)).map((l) => l.message)).toEqual(['first']);
        expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(1);
      });

      it('a step is recorded entirely or not at all', async () => {
        const { a, run } = await claimedRun();
        const write = step('map:0', {
          outputs: { '': [json('{"new":1}'), { id: 'no-such-payload', ...json('') }] },
          logs: [log('should not stay')],
        });
        await expect(store.recordStep(run.id, a, write)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await store.loadJournal(run.id)).toEqual([]);
        expect(await store.listRunLogs(a, run.id)).toEqual([]);
        expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(0);
        // The same item can then be recorded properly.
        await store.recordStep(run.id, a, step('map:0', { outputs: { '': [json('{"new":1}')] } }));
        expect(await store.loadJournal(run.id)).toHaveLength(1);
      });

      it('a step whose log cannot be stored is not recorded either', async () => {
        const { a, run } = await claimedRun();
        const write = step('map:0', {
          outputs: { '': [json('{"new":1}')] },
          logs: [log('fine'), log('broken', { level: 'verbose' as RunLogInput['level'] })],
        });
        await expect(store.recordStep(run.id, a, write)).rejects.toThrow();
        expect(await store.loadJournal(run.id)).toEqual([]);
        expect(await store.listRunLogs(a, run.id)).toEqual([]);
        expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(0);
      });

      it('concurrent steps of one run are all recorded', async () => {
        const { a, run } = await claimedRun();
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.recordStep(run.id, a, step(`connector:${i}`, { outputs: { '': [json(`${i}`)] }, logs: [log(`${i}`)] })),
          ),
        );
        expect(await store.loadJournal(run.id)).toHaveLength(20);
        expect(await store.listRunLogs(a, run.id)).toHaveLength(20);
        expect((await store.getRun(a, run.id))?.stepsCompleted).toBe(20);
      });

      it('appends logs in order, filling in the time when not given', async () => {
        const { a, run } = await claimedRun();
        await store.appendLogs(run.id, [log('one'), log('two', { createdAt: '2030-01-01T00:00:05.000Z' })]);
        await store.appendLogs(run.id, []);
        await store.appendLogs(run.id, [log('three', { stepId: null, stepName: null, attempt: null, durationMs: null })]);
        const logs = await store.listRunLogs(a, run.id);
        expect(logs.map((l) => l.message)).toEqual(['one', 'two', 'three']);
        expect(logs[1]?.createdAt).toBe('2030-01-01T00:00:05.000Z');
        expect(Date.parse(logs[0]?.createdAt ?? '')).not.toBeNaN();
        expect(logs[2]).toMatchObject({ stepId: null, stepName: null, attempt: null, durationMs: null });
        expect(new Set(logs.map((l) => l.id)).size).toBe(3);
      });

      it('refuses logs for an unknown run', async () => {
        await expect(store.appendLogs('no-such-run', [log('x')])).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('returns undefined or nothing for unknown payloads and runs', async () => {
        const { a, run } = await claimedRun();
        expect(await store.getPayload(a, 'no-such-payload')).toBeUndefined();
        expect(await store.getPayloadBody(a, 'no-such-payload')).toBeUndefined();
        expect(await store.listRunLogs(a, 'no-such-run')).toEqual([]);
        expect(await store.loadJournal('no-such-run')).toEqual([]);
        expect(await store.loadPayloads(run.id, [])).toEqual([]);
        await expect(store.loadPayloads(run.id, ['no-such-payload'])).rejects.toMatchObject({ code: 'PAYLOAD_EXPIRED' });
      });

      it('stores large payloads and reads them back byte for byte', async () => {
        const { a, flowA, run } = await claimedRun();
        const big = randomBytes(3 * 1024 * 1024 + 17);
        const started = await startRun(a, flowA, { input: { format: 'text', meta: {}, body: big } });
        expect(await store.getPayload(a, started.inputPayloadId ?? '')).toMatchObject({ bytes: big.length, sha256: sha256(big) });
        expect((await store.getPayloadBody(a, started.inputPayloadId ?? ''))?.equals(big)).toBe(true);

        const outputs = await store.recordStep(run.id, a, step('map:0', { outputs: { '': [{ format: 'csv', meta: {}, body: big }] } }));
        const [loaded] = await store.loadPayloads(run.id, outputs[''] ?? []);
        expect(loaded?.body.equals(big)).toBe(true);
        expect(loaded?.format).toBe('csv');
      });

      it('keeps identical large payloads apart as records', async () => {
        const { a, flowA } = await claimedRun();
        const big = randomBytes(512 * 1024);
        const first = await startRun(a, flowA, { input: { format: 'json', meta: { n: '1' }, body: big } });
        const second = await startRun(a, flowA, { input: { format: 'text', meta: { n: '2' }, body: big } });
        expect(first.inputPayloadId).not.toBe(second.inputPayloadId);
        expect(await store.getPayload(a, second.inputPayloadId ?? '')).toMatchObject({
          format: 'text',
          meta: { n: '2' },
          runId: second.id,
        });
        expect((await store.getPayloadBody(a, first.inputPayloadId ?? ''))?.equals(big)).toBe(true);
        expect((await store.getPayloadBody(a, second.inputPayloadId ?? ''))?.equals(big)).toBe(true);
      });
    });
    describe('triggers', () => {
      function withTrigger(config: Record<string, unknown>): FlowDefinition {
        const def = definition();
        def.steps[0] = { id: 'trigger', shape: 'trigger', config };
        return def;
      }

      it('lists the deployed, enabled flows with schedules across companies, with their deployed version', async () => {
        const a = (await company('Acme')).company.id;
        const b = (await company('Bolt')).company.id;
        const cron = await store.createFlow(a, { name: 'Cron', definition: withTrigger({ schedules: ['0 6 * * *'] }), priority: 2 });
        const deployed = await store.deployVersion(a, cron.draftVersionId, { enable: true });
        const other = await store.createFlow(b, { name: 'Other', definition: withTrigger({ schedules: ['* * * * *', '0 0 * * 1'] }) });
        await store.deployVersion(b, other.draftVersionId, { enable: true });
        // Not served: disabled, only a draft, no schedules.
        const off = await store.createFlow(a, { name: 'Off', definition: withTrigger({ schedules: ['* * * * *'] }) });
        await store.deployVersion(a, off.draftVersionId, {});
        await store.createFlow(a, { name: 'Draft', definition: withTrigger({ schedules: ['* * * * *'] }) });
        await deployedFlow(a, 'Plain');
        // A schedule only in the new draft does not count until it is deployed.
        const later = await deployedFlow(a, 'Later');
        const laterFlow = await store.getFlow(a, later.flowId);
        await store.updateDraft(a, laterFlow!.draftVersionId, withTrigger({ schedules: ['* * * * *'] }));

        const listed = await store.listScheduledFlows();
        expect(listed).toEqual(
          [
            { companyId: a, flowId: cron.id, versionId: deployed!.id, priority: 2, schedules: ['0 6 * * *'] },
            { companyId: b, flowId: other.id, versionId: other.draftVersionId, priority: 3, schedules: ['* * * * *', '0 0 * * 1'] },
          ].sort((x, y) => (x.flowId < y.flowId ? -1 : 1)),
        );
        await store.updateFlow(b, other.id, { enabled: false });
        expect((await store.listScheduledFlows()).map((f) => f.flowId)).toEqual([cron.id]);
      });

      it('makes a webhook secret once, verifies its hash only for its own company and flow, answering the flow, and rotates it', async () => {
        const { a, b, flowA, flowB } = await twoTenants();
        const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
        const secret = await store.ensureWebhookSecret(a, flowA.flowId);
        expect(secret).toEqual(expect.any(String));
        await store.updateFlow(a, flowA.flowId, { priority: 1, enabled: false });
        expect(await store.ensureWebhookSecret(a, flowA.flowId)).toBeUndefined();
        expect(await store.ensureWebhookSecret(b, flowA.flowId)).toBeUndefined();
        // The flow as getFlowHead reads it (a disabled flow too: the route refuses it), in the same read as the secret.
        const head = await store.getFlowHead(a, flowA.flowId);
        expect(head).toMatchObject({ id: flowA.flowId, priority: 1, enabled: false });
        expect(await store.verifyWebhook(a, flowA.flowId, hash(secret!))).toEqual(head);
        expect(await store.verifyWebhook(b, flowA.flowId, hash(secret!))).toBeUndefined();
        expect(await store.verifyWebhook(a, flowB.flowId, hash(secret!))).toBeUndefined();
        expect(await store.verifyWebhook(a, flowA.flowId, hash('wrong'))).toBeUndefined();
        expect(await store.verifyWebhook(a, flowA.flowId, 'not-a-hash')).toBeUndefined();

        const rotated = await store.rotateWebhookSecret(a, flowA.flowId);
        expect(rotated).not.toBe(secret);
        expect(await store.verifyWebhook(a, flowA.flowId, hash(secret!))).toBeUndefined();
        expect((await store.verifyWebhook(a, flowA.flowId, hash(rotated!)))?.id).toBe(flowA.flowId);
        expect(await store.rotateWebhookSecret(b, flowA.flowId)).toBeUndefined();
        expect(await store.rotateWebhookSecret(a, 'no-such-flow')).toBeUndefined();

        await store.deleteFlow(a, flowA.flowId);
        expect(await store.verifyWebhook(a, flowA.flowId, hash(rotated!))).toBeUndefined();
      });
    });

    describe('connectors and instances', () => {
      const shop = (name = 'Shop'): ConnectorInput => ({
        name,
        protocol: 'http',
        baseUrl: 'https://{{shop}}.example.com/api',
        variables: { shop: { default: 'demo', description: 'The shop subdomain' } },
        authMethods: [{ type: 'api_key', in: 'header', param_name: 'X-Api-Key' }],
        endpoints: [{ name: 'orders', method: 'GET', path: '/orders', data_type: 'json', direction: 'receive' }],
      });
      const sealed = (ciphertext = 'v1:k:iv:tag:body'): SealedCredentials => ({ ciphertext, fields: ['key'] });

      it('creates, reads, lists, changes and deletes connectors', async () => {
        const { company: c } = await company('Acme');
        const created = await store.createConnector(c.id, shop());
        expect(created).toMatchObject({ companyId: c.id, ...shop() });
        expect(created.createdAt).toBe(created.updatedAt);
        expect(await store.getConnector(c.id, created.id)).toEqual(created);

        const second = await store.createConnector(c.id, shop('ERP'));
        const page = await store.listConnectors(c.id, { page: 1, perPage: 1 });
        expect(page.total).toBe(2);
        expect(page.rows.map((r) => r.id)).toEqual([second.id]);
        expect((await store.listConnectors(c.id, { page: 2, perPage: 1 })).rows.map((r) => r.id)).toEqual([created.id]);

        const changed = await store.updateConnector(c.id, created.id, { name: 'Shop 2', endpoints: [], variables: {} });
        expect(changed).toMatchObject({
          name: 'Shop 2',
          endpoints: [],
          variables: {},
          baseUrl: created.baseUrl,
          authMethods: created.authMethods,
        });
        expect(await store.getConnector(c.id, created.id)).toEqual(changed);

        expect(await store.deleteConnector(c.id, created.id)).toBe(true);
        expect(await store.getConnector(c.id, created.id)).toBeUndefined();
        expect(await store.deleteConnector(c.id, created.id)).toBe(false);
        expect(await store.updateConnector(c.id, created.id, { name: 'gone' })).toBeUndefined();
      });

      it('creates, reads, lists, changes and deletes instances, keeping the ciphertext out of every read but one', async () => {
        const { company: c } = await company('Acme');
        const connector = await store.createConnector(c.id, shop());
        const other = await store.createConnector(c.id, shop('ERP'));
        const created = await store.createInstance(c.id, {
          connectorId: connector.id,
          name: 'Live shop',
          variables: { shop: 'acme' },
          authMethod: 'api_key',
          credentials: sealed('v1:k:iv:tag:first'),
        });
        expect(created).toMatchObject({
          companyId: c.id,
          connectorId: connector.id,
          name: 'Live shop',
          variables: { shop: 'acme' },
          authMethod: 'api_key',
          credentialsSet: true,
          credentialFields: ['key'],
        });
        expect(JSON.stringify(created)).not.toContain('first');
        expect(await store.getInstance(c.id, created.id)).toEqual(created);
        expect(await store.getInstanceSecret(c.id, created.id)).toBe('v1:k:iv:tag:first');

        const bare = await store.createInstance(c.id, {
          connectorId: other.id,
          name: 'ERP',
          variables: {},
          authMethod: null,
          credentials: null,
        });
        expect(bare).toMatchObject({ credentialsSet: false, credentialFields: [], authMethod: null });
        expect(await store.getInstanceSecret(c.id, bare.id)).toBeNull();

        const all = await store.listInstances(c.id, {}, { page: 1, perPage: 10 });
        expect(all.total).toBe(2);
        expect(all.rows.map((r) => r.id)).toEqual([bare.id, created.id]);
        expect(JSON.stringify(all)).not.toContain('v1:k');
        const narrowed = await store.listInstances(c.id, { connectorId: connector.id }, { page: 1, perPage: 10 });
        expect(narrowed).toEqual({ rows: [created], total: 1 });

        const renamed = await store.updateInstance(c.id, created.id, { name: 'Renamed', variables: {} });
        expect(renamed).toMatchObject({ name: 'Renamed', variables: {}, credentialsSet: true, credentialFields: ['key'] });
        expect(await store.getInstanceSecret(c.id, created.id)).toBe('v1:k:iv:tag:first');
        await store.updateInstance(c.id, created.id, { credentials: { ciphertext: 'v1:k:iv:tag:second', fields: ['user', 'pass'] } });
        expect(await store.getInstanceSecret(c.id, created.id)).toBe('v1:k:iv:tag:second');
        expect((await store.getInstance(c.id, created.id))?.credentialFields).toEqual(['user', 'pass']);
        const cleared = await store.updateInstance(c.id, created.id, { credentials: null, authMethod: null });
        expect(cleared).toMatchObject({ credentialsSet: false, credentialFields: [], authMethod: null });
        expect(await store.getInstanceSecret(c.id, created.id)).toBeNull();

        expect(await store.deleteInstance(c.id, created.id)).toBe(true);
        expect(await store.getInstance(c.id, created.id)).toBeUndefined();
        expect(await store.getInstanceSecret(c.id, created.id)).toBeUndefined();
        expect(await store.deleteInstance(c.id, created.id)).toBe(false);
        expect(await store.updateInstance(c.id, created.id, { name: 'gone' })).toBeUndefined();
      });

      it('refuses an instance of an unknown connector', async () => {
        const { company: c } = await company('Acme');
        await expect(
          store.createInstance(c.id, { connectorId: 'no-such-connector', name: 'x', variables: {}, authMethod: null, credentials: null }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('refuses to delete a connector while instances use it', async () => {
        const { company: c } = await company('Acme');
        const connector = await store.createConnector(c.id, shop());
        const instance = await store.createInstance(c.id, {
          connectorId: connector.id,
          name: 'x',
          variables: {},
          authMethod: null,
          credentials: null,
        });
        await expect(store.deleteConnector(c.id, connector.id)).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await store.getConnector(c.id, connector.id)).toBeDefined();
        await store.deleteInstance(c.id, instance.id);
        expect(await store.deleteConnector(c.id, connector.id)).toBe(true);
      });

      it("another company cannot see, use, change or delete a company's connectors and instances", async () => {
        const { company: a } = await company('Acme');
        const { company: b } = await company('Bolt');
        const connector = await store.createConnector(a.id, shop());
        const instance = await store.createInstance(a.id, {
          connectorId: connector.id,
          name: 'Live',
          variables: {},
          authMethod: 'api_key',
          credentials: sealed(),
        });

        expect(await store.getConnector(b.id, connector.id)).toBeUndefined();
        expect(await store.listConnectors(b.id, { page: 1, perPage: 10 })).toEqual({ rows: [], total: 0 });
        expect(await store.updateConnector(b.id, connector.id, { name: 'hijacked' })).toBeUndefined();
        expect(await store.deleteConnector(b.id, connector.id)).toBe(false);
        await expect(
          store.createInstance(b.id, { connectorId: connector.id, name: 'borrowed', variables: {}, authMethod: null, credentials: null }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });

        expect(await store.getInstance(b.id, instance.id)).toBeUndefined();
        expect(await store.getInstanceSecret(b.id, instance.id)).toBeUndefined();
        expect(await store.listInstances(b.id, {}, { page: 1, perPage: 10 })).toEqual({ rows: [], total: 0 });
        expect(await store.listInstances(b.id, { connectorId: connector.id }, { page: 1, perPage: 10 })).toEqual({ rows: [], total: 0 });
        expect(await store.updateInstance(b.id, instance.id, { credentials: null })).toBeUndefined();
        expect(await store.deleteInstance(b.id, instance.id)).toBe(false);

        expect(await store.getConnector(a.id, connector.id)).toMatchObject({ name: 'Shop' });
        expect(await store.getInstance(a.id, instance.id)).toMatchObject({ name: 'Live', credentialsSet: true });
        expect(await store.getInstanceSecret(a.id, instance.id)).toBe(sealed().ciphertext);
      });

      it('refuses a connector for a company that does not exist', async () => {
        await expect(store.createConnector('no-such-company', shop())).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });
    });
  });
}
