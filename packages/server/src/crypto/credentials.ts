import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@weft/schema';
import type { Config } from '../config/index.js';
import type { Store } from '../store/types.js';

/**
 * Connector credentials at rest (quality.md §3): AES-256-GCM over the credentials' JSON, as
 * `v1:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`. The key id travels with every ciphertext so a
 * rotation can add a key and still read what older keys wrote.
 */

export const CREDENTIALS_KEY_SETTING = 'credentials_key';
const VERSION = 'v1';
const KEY_BYTES = 32;
// 96-bit IVs are GCM's native size; random ones are safe far beyond the number of writes here.
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CredentialKey {
  id: string;
  key: Buffer;
}

/** Encrypts with the current key; decrypts with whichever known key a ciphertext names. */
export interface CredentialCipher {
  readonly currentKeyId: string;
  /** `context` (e.g. the company id) is bound as associated data: the ciphertext opens only with the same context. */
  encrypt(credentials: Record<string, string>, context: string): string;
  /** The key id a ciphertext was written with, or undefined when it is not in the v1 format. */
  keyIdOf(ciphertext: string): string | undefined;
  /** Throws AppError CREDENTIALS_UNREADABLE when the key is unknown, the context or key differ, or the bytes were changed. */
  decrypt(ciphertext: string, context: string): Record<string, string>;
}

/** The id derives from the key itself, so the same key gets the same id in every process and after restarts. */
export function credentialKeyId(key: Buffer): string {
  return createHash('sha256').update('weft-credentials-key-id').update(key).digest('hex').slice(0, 16);
}

export function parseCredentialKey(base64: string, source: string): CredentialKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${source} must be ${KEY_BYTES} bytes in base64, got ${key.length} bytes`);
  return { id: credentialKeyId(key), key };
}

/** `keys[0]` encrypts; every key decrypts. */
export function createCredentialCipher(keys: CredentialKey[]): CredentialCipher {
  const current = keys[0];
  if (current === undefined) throw new Error('at least one credentials key is needed');
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  return {
    currentKeyId: current.id,
    keyIdOf(ciphertext) {
      const parts = ciphertext.split(':');
      return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
    },
    encrypt(credentials, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
      return [VERSION, current.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
    },
    decrypt(ciphertext, context) {
      const parts = ciphertext.split(':');
      const [version, keyId, iv, tag, body] = parts;
      if (parts.length !== 5 || version !== VERSION || keyId === undefined || iv === undefined || tag === undefined || body === undefined) {
        throw unreadable('it is not in the v1 format');
      }
      const key = byId.get(keyId);
      if (key === undefined) throw unreadable(`its key ${keyId} is not configured`);
      const tagBytes = Buffer.from(tag, 'base64');
      const ivBytes = Buffer.from(iv, 'base64');
      // A short tag would weaken GCM's check; Node accepts shorter tags unless told otherwise.
      if (tagBytes.length !== TAG_BYTES || ivBytes.length !== IV_BYTES) throw unreadable('it is malformed');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tagBytes);
        const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
        return JSON.parse(plain) as Record<string, string>;
      } catch {
        throw unreadable('it does not authenticate (changed, or written with another key or for another company)');
      }
    },
  };
}

function unreadable(why: string): AppError {
  return new AppError('INTERNAL', `The stored credentials cannot be decrypted: ${why}.`);
}

/** The generated key's file under WEFT_DATA_DIR when WEFT_CREDENTIALS_KEY is unset. */
export const CREDENTIALS_KEY_FILE = 'credentials.key';

/**
 * The key in `<dataDir>/credentials.key`, created (mode 0600, exclusively, so processes starting
 * together on one machine agree) when missing. Kept out of the database so that a dump or backup
 * of the database alone does not also hold the key that opens its credentials.
 */
export async function loadOrCreateKeyFile(dataDir: string): Promise<CredentialKey> {
  const file = join(dataDir, CREDENTIALS_KEY_FILE);
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined) return parseCredentialKey(existing.trim(), file);
  await mkdir(dataDir, { recursive: true });
  // Written whole to a temp file, then hard-linked into place: link() fails with EEXIST when another
  // process won, and nobody can read the key file while it is still empty (as with open 'wx' + write).
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
  return parseCredentialKey((await readFile(file, 'utf8')).trim(), file);
}

/**
 * The cipher for this installation. WEFT_CREDENTIALS_KEY, when set, encrypts; otherwise the key
 * file under the data dir does. WEFT_CREDENTIALS_OLD_KEYS, an existing key file while a key is
 * configured, and a key that older versions stored in the settings table only decrypt, so nothing written before is lost; `weft keys rotate`
 * re-encrypts it all under the current key.
 */
export async function loadCredentialCipher(
  store: Store,
  config: Pick<Config, 'credentialsKey' | 'dataDir'> & Partial<Pick<Config, 'credentialsOldKeys'>>,
): Promise<CredentialCipher> {
  const keys: CredentialKey[] = [];
  if (config.credentialsKey !== undefined) {
    keys.push(parseCredentialKey(config.credentialsKey, 'WEFT_CREDENTIALS_KEY'));
    // A key file from before the key was configured still decrypts (never created here).
    const file = join(config.dataDir, CREDENTIALS_KEY_FILE);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text !== undefined) keys.push(parseCredentialKey(text.trim(), file));
  } else keys.push(await loadOrCreateKeyFile(config.dataDir));
  for (const [i, key] of (config.credentialsOldKeys ?? []).entries()) {
    keys.push(parseCredentialKey(key, `WEFT_CREDENTIALS_OLD_KEYS item ${i + 1}`));
  }
  const stored = await store.getSetting(CREDENTIALS_KEY_SETTING);
  if (stored !== undefined) keys.push(parseCredentialKey(stored, `the stored setting ${CREDENTIALS_KEY_SETTING}`));
  return createCredentialCipher(keys);
}
