import { isAppError } from '@weft/schema';
import type { Store } from '../store/types.js';
import type { CredentialCipher } from './credentials.js';

export interface RotationReport {
  /** The key id everything is now encrypted with. */
  keyId: string;
  checked: number;
  /** Re-encrypted in this run. */
  rotated: number;
  /** Already under the current key (an earlier, perhaps interrupted, run did them). */
  current: number;
  /** Changed by someone else between read and write; a second run picks them up. */
  changedMeanwhile: number;
  /** Ciphertexts no configured key opens, with why (never their content). */
  unreadable: Array<{ companyId: string; instanceId: string; reason: string }>;
}

const PAGE = 200;

/**
 * Re-encrypts every instance's credentials under the cipher's current key. Idempotent (what is
 * already under the current key is left alone) and resumable (stop it anywhere and run it again);
 * each row is swapped with a compare-and-set, so a credential edited meanwhile is never overwritten
 * with stale plaintext.
 */
export async function rotateCredentials(
  store: Store,
  cipher: CredentialCipher,
  onProgress?: (report: RotationReport) => void,
): Promise<RotationReport> {
  const report: RotationReport = { keyId: cipher.currentKeyId, checked: 0, rotated: 0, current: 0, changedMeanwhile: 0, unreadable: [] };
  let after: { companyId: string; instanceId: string } | undefined;
  for (;;) {
    const rows = await store.listInstanceSecrets(after, PAGE);
    if (rows.length === 0) break;
    for (const row of rows) {
      report.checked++;
      if (cipher.keyIdOf(row.ciphertext) === cipher.currentKeyId) {
        report.current++;
        continue;
      }
      let plain: Record<string, string>;
      try {
        plain = cipher.decrypt(row.ciphertext, row.companyId);
      } catch (err) {
        report.unreadable.push({
          companyId: row.companyId,
          instanceId: row.instanceId,
          reason: isAppError(err) ? err.message : String(err),
        });
        continue;
      }
      const next = cipher.encrypt(plain, row.companyId);
      if (await store.replaceInstanceSecret(row.companyId, row.instanceId, row.ciphertext, next)) {
        report.rotated++;
        // In the company's audit log like every credential change; by the operator's CLI, so no user.
        await store.appendAudit({
          companyId: row.companyId,
          actorType: 'anonymous',
          actorId: null,
          action: 'instance.credentials_rotated',
          targetType: 'instance',
          targetId: row.instanceId,
          outcome: 'success',
          address: null,
          data: { key_id: cipher.currentKeyId, via: 'weft keys rotate' },
        });
      } else report.changedMeanwhile++;
    }
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    after = { companyId: last.companyId, instanceId: last.instanceId };
    onProgress?.(report);
  }
  return report;
}
