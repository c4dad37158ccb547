import { mkdirSync } from 'node:fs';
import { loadConfig, loadCredentialCipher, openStore, rotateCredentials } from '@weft/server';

/**
 * `weft keys rotate`: re-encrypts every instance's credentials under the current key
 * (WEFT_CREDENTIALS_KEY, or the key file when unset); earlier keys must still be configured in
 * WEFT_CREDENTIALS_OLD_KEYS to be read. Safe to run again, and to stop and resume.
 */
export async function keysRotate(): Promise<number> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  try {
    await store.migrate();
    const cipher = await loadCredentialCipher(store, config);
    const report = await rotateCredentials(store, cipher, (r) => {
      if (process.stderr.isTTY) process.stderr.write(`\rchecked ${r.checked}, rotated ${r.rotated}`);
    });
    console.log(
      JSON.stringify({
        key_id: report.keyId,
        checked: report.checked,
        rotated: report.rotated,
        already_current: report.current,
        changed_meanwhile: report.changedMeanwhile,
        unreadable: report.unreadable.map((u) => ({ company_id: u.companyId, instance_id: u.instanceId, reason: u.reason })),
      }),
    );
    if (report.unreadable.length > 0) {
      console.error(
        `weft: ${report.unreadable.length} credential(s) could not be decrypted with any configured key; add the key that wrote them to WEFT_CREDENTIALS_OLD_KEYS and run again`,
      );
      return 1;
    }
    if (report.changedMeanwhile > 0) {
      console.error(`weft: ${report.changedMeanwhile} credential(s) changed during the rotation; run weft keys rotate again`);
      return 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}
