import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/index.js';
import { CANARY } from '../test-support/canary.js';
import {
  CREDENTIALS_KEY_FILE,
  CREDENTIALS_KEY_SETTING,
  createCredentialCipher,
  credentialKeyId,
  loadCredentialCipher,
  parseCredentialKey,
} from './credentials.js';

const key = () => parseCredentialKey(randomBytes(32).toString('base64'), 'test key');
const secrets = { username: 'ada', password: `secret-${CANARY}` };

/** Replaces one base64 character of the ciphertext's body with another, keeping the format valid. */
function tamper(ciphertext: string): string {
  const parts = ciphertext.split(':');
  const body = parts[4]!;
  parts[4] = (body[0] === 'A' ? 'B' : 'A') + body.slice(1);
  return parts.join(':');
}

describe('credential encryption', () => {
  it('decrypts what it encrypted, and names the key in the ciphertext', () => {
    const k = key();
    const cipher = createCredentialCipher([k]);
    const ciphertext = cipher.encrypt(secrets, 'company-a');
    expect(ciphertext).toMatch(new RegExp(`^v1:${k.id}:[^:]+:[^:]+:[^:]+$`));
    expect(ciphertext).not.toContain(CANARY);
    expect(cipher.decrypt(ciphertext, 'company-a')).toEqual(secrets);
  });

  it('uses a fresh IV each time', () => {
    const cipher = createCredentialCipher([key()]);
    expect(cipher.encrypt(secrets, 'c')).not.toBe(cipher.encrypt(secrets, 'c'));
  });

  it('refuses a tampered ciphertext', () => {
    const cipher = createCredentialCipher([key()]);
    const ciphertext = cipher.encrypt(secrets, 'c');
    expect(() => cipher.decrypt(tamper(ciphertext), 'c')).toThrow(/does not authenticate/);
    const parts = ciphertext.split(':');
    parts[3] = Buffer.alloc(16).toString('base64');
    expect(() => cipher.decrypt(parts.join(':'), 'c')).toThrow(/does not authenticate/);
    parts[3] = Buffer.alloc(4).toString('base64');
    expect(() => cipher.decrypt(parts.join(':'), 'c')).toThrow(/malformed/);
    expect(() => cipher.decrypt('not a ciphertext', 'c')).toThrow(/format/);
  });

  it('refuses a ciphertext of another company', () => {
    const cipher = createCredentialCipher([key()]);
    expect(() => cipher.decrypt(cipher.encrypt(secrets, 'company-a'), 'company-b')).toThrow(/does not authenticate/);
  });

  it('refuses the wrong key even when it claims the right key id', () => {
    const right = key();
    const wrong = { id: right.id, key: randomBytes(32) };
    const ciphertext = createCredentialCipher([right]).encrypt(secrets, 'c');
    expect(() => createCredentialCipher([wrong]).decrypt(ciphertext, 'c')).toThrow(/does not authenticate/);
  });

  it('refuses an unknown key id', () => {
    const ciphertext = createCredentialCipher([key()]).encrypt(secrets, 'c');
    expect(() => createCredentialCipher([key()]).decrypt(ciphertext, 'c')).toThrow(/is not configured/);
  });

  it('encrypts with the first key and still decrypts with the older ones', () => {
    const old = key();
    const written = createCredentialCipher([old]).encrypt(secrets, 'c');
    const rotated = createCredentialCipher([key(), old]);
    expect(rotated.decrypt(written, 'c')).toEqual(secrets);
    expect(rotated.encrypt(secrets, 'c').split(':')[1]).toBe(rotated.currentKeyId);
    expect(rotated.currentKeyId).not.toBe(old.id);
  });

  it('refuses a configured key that is not 32 bytes', () => {
    expect(() => parseCredentialKey(randomBytes(16).toString('base64'), 'WEFT_CREDENTIALS_KEY')).toThrow(/32 bytes/);
  });
});

describe('loading the credentials key', () => {
  async function withStore(fn: (store: ReturnType<typeof createSqliteStore>, dataDir: string) => Promise<void>) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-credentials-'));
    const store = createSqliteStore({ file: path.join(dir, 'weft.db'), payloadDir: path.join(dir, 'payloads') });
    try {
      await store.migrate();
      await fn(store, dir);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('generates a key once in a 0600 file under the data dir, never in the database, when none is configured', async () => {
    await withStore(async (store, dataDir) => {
      // Many loads at once, as processes starting together: none may read a key file still being written.
      const together = await Promise.all(
        Array.from({ length: 20 }, () => loadCredentialCipher(store, { credentialsKey: undefined, dataDir })),
      );
      const first = together[0]!;
      const third = await loadCredentialCipher(store, { credentialsKey: undefined, dataDir });
      for (const other of together) expect(other.currentKeyId).toBe(first.currentKeyId);
      expect((await readdir(dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      expect(third.currentKeyId).toBe(first.currentKeyId);
      expect(third.decrypt(first.encrypt(secrets, 'c'), 'c')).toEqual(secrets);
      const file = path.join(dataDir, CREDENTIALS_KEY_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(credentialKeyId(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'))).toBe(first.currentKeyId);
      expect(await store.getSetting(CREDENTIALS_KEY_SETTING)).toBeUndefined();
    });
  });

  it('encrypts with the configured key and still reads what the key file, old keys and a legacy stored key wrote', async () => {
    await withStore(async (store, dataDir) => {
      const fromFile = (await loadCredentialCipher(store, { credentialsKey: undefined, dataDir })).encrypt(secrets, 'c');
      const old = randomBytes(32);
      const fromOld = createCredentialCipher([parseCredentialKey(old.toString('base64'), 'old')]).encrypt(secrets, 'c');
      const legacy = randomBytes(32).toString('base64');
      await store.initSetting(CREDENTIALS_KEY_SETTING, legacy);
      const fromLegacy = createCredentialCipher([parseCredentialKey(legacy, 'legacy')]).encrypt(secrets, 'c');
      const configured = randomBytes(32);
      const cipher = await loadCredentialCipher(store, {
        credentialsKey: configured.toString('base64'),
        // The key file is read without being named: it was the key before one was configured.
        credentialsOldKeys: [old.toString('base64')],
        dataDir,
      });
      expect(cipher.currentKeyId).toBe(credentialKeyId(configured));
      for (const written of [fromFile, fromOld, fromLegacy]) expect(cipher.decrypt(written, 'c')).toEqual(secrets);
      expect(cipher.keyIdOf(cipher.encrypt(secrets, 'c'))).toBe(cipher.currentKeyId);
    });
  });

  it('refuses an old key that is not 32 bytes, naming it', async () => {
    await withStore(async (store, dataDir) => {
      await expect(loadCredentialCipher(store, { credentialsKey: undefined, credentialsOldKeys: ['c2hvcnQ='], dataDir })).rejects.toThrow(
        /WEFT_CREDENTIALS_OLD_KEYS item 1 must be 32 bytes/,
      );
    });
  });
});
