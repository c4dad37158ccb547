import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { type CredentialKey, createCredentialCipher, parseCredentialKey } from './credentials.js';
import { rotateCredentials } from './rotate.js';

const newKey = (): CredentialKey => parseCredentialKey(randomBytes(32).toString('base64'), 'test key');

describe('rotating the credentials key', () => {
  let dir: string;
  let store: Store;
  let companies: string[];
  const oldKey = newKey();
  const nextKey = newKey();
  const before = createCredentialCipher([oldKey]);
  const after = createCredentialCipher([nextKey, oldKey]);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'weft-rotate-'));
    store = createSqliteStore({ file: path.join(dir, 'weft.db'), payloadDir: path.join(dir, 'payloads') });
    await store.migrate();
    companies = [];
    for (const name of ['a', 'b']) {
      companies.push(
        (await store.createCompanyWithAdmin({ companyName: name, name: 'O', email: `o@${name}.test`, passwordHash: 'x' })).company.id,
      );
    }
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** n instances per company, credentials written with `cipher`. */
  async function seed(
    n: number,
    cipher = before,
  ): Promise<Array<{ companyId: string; instanceId: string; plain: Record<string, string> }>> {
    const out = [];
    for (const companyId of companies) {
      const connector = await store.createConnector(companyId, {
        name: 'C',
        protocol: 'http',
        baseUrl: 'https://x.test',
        variables: {},
        authMethods: [{ type: 'bearer' }],
        endpoints: [],
      });
      for (let i = 0; i < n; i++) {
        const plain = { token: `secret-${companyId}-${i}` };
        const credentials = { ciphertext: cipher.encrypt(plain, companyId), fields: ['token'] };
        const instance = await store.createInstance(companyId, {
          connectorId: connector.id,
          name: `i${i}`,
          variables: {},
          authMethod: 'bearer',
          credentials,
        });
        out.push({ companyId, instanceId: instance.id, plain });
      }
    }
    return out;
  }

  it('re-encrypts every company’s credentials under the new key id, readable with the new key alone', async () => {
    const seeded = await seed(3);
    const report = await rotateCredentials(store, after);
    expect(report).toMatchObject({ keyId: nextKey.id, checked: 6, rotated: 6, current: 0, changedMeanwhile: 0, unreadable: [] });
    const onlyNew = createCredentialCipher([nextKey]);
    for (const { companyId, instanceId, plain } of seeded) {
      const ciphertext = (await store.getInstanceSecret(companyId, instanceId)) as string;
      expect(after.keyIdOf(ciphertext)).toBe(nextKey.id);
      expect(onlyNew.decrypt(ciphertext, companyId)).toEqual(plain);
    }
    const audit = await store.listAudit(companies[0]!, {}, { page: 1, perPage: 100 });
    expect(audit.rows.filter((e) => e.action === 'instance.credentials_rotated')).toHaveLength(3);
    expect(audit.rows[0]?.data).toEqual({ key_id: nextKey.id, via: 'weft keys rotate' });
  });

  it('is idempotent: a second run changes nothing', async () => {
    await seed(2);
    await rotateCredentials(store, after);
    const snapshot = await store.listInstanceSecrets(undefined, 100);
    const again = await rotateCredentials(store, after);
    expect(again).toMatchObject({ checked: 4, rotated: 0, current: 4 });
    expect(await store.listInstanceSecrets(undefined, 100)).toEqual(snapshot);
  });

  it('resumes after an interruption, finishing only what is left', async () => {
    await seed(3);
    // Interrupted after the first page: the rest stays under the old key.
    const partial = { ...store, listInstanceSecrets: async (_after: unknown, _limit: number) => store.listInstanceSecrets(undefined, 2) };
    let pages = 0;
    const interrupted = await rotateCredentials(
      { ...partial, listInstanceSecrets: async (a, l) => (pages++ === 0 ? partial.listInstanceSecrets(a, l) : []) } as Store,
      after,
    );
    expect(interrupted.rotated).toBe(2);
    const resumed = await rotateCredentials(store, after);
    expect(resumed).toMatchObject({ checked: 6, rotated: 4, current: 2 });
  });

  it('reports credentials no configured key opens, and leaves them as they are', async () => {
    const [lost] = await seed(1, createCredentialCipher([newKey()]));
    const report = await rotateCredentials(store, after);
    expect(report.unreadable).toHaveLength(2);
    expect(report.unreadable[0]?.reason).toMatch(/is not configured/);
    expect(report.unreadable).toContainEqual(expect.objectContaining({ instanceId: lost?.instanceId }));
    expect(report.rotated).toBe(0);
  });

  it('never overwrites credentials changed while it ran', async () => {
    const [changed] = await seed(1);
    if (changed === undefined) throw new Error('seeded');
    const edited = before.encrypt({ token: 'edited meanwhile' }, changed.companyId);
    const racing = {
      ...store,
      listInstanceSecrets: async (a: { companyId: string; instanceId: string } | undefined, l: number) => {
        const rows = await store.listInstanceSecrets(a, l);
        // Someone saves new credentials between the rotation's read and its write.
        if (a === undefined)
          await store.updateInstance(changed.companyId, changed.instanceId, { credentials: { ciphertext: edited, fields: ['token'] } });
        return rows;
      },
    } as Store;
    const report = await rotateCredentials(racing, after);
    expect(report.changedMeanwhile).toBe(1);
    expect(await store.getInstanceSecret(changed.companyId, changed.instanceId)).toBe(edited);
    expect((await rotateCredentials(store, after)).rotated).toBe(1);
  });
});
