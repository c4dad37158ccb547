import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const STALE_TEMP_MS = 60 * 60 * 1000;
/** How long a file retention moved aside stays restorable before it is deleted for good. */
const TRASH_GRACE_MS = 60 * 1000;

/**
 * Payload bodies too large to keep inline, stored as files named by their SHA-256, so identical
 * content is stored once. A file is complete before any row can name it: written to a temporary
 * name, fsynced, renamed into place and the directory fsynced, all before the row's transaction
 * commits. A crash in between leaves at most an unreferenced file, never a row without its bytes.
 */
export class PayloadFiles {
  readonly #dir: string;
  readonly #tempDir: string;
  readonly #trashDir: string;
  readonly #madeDirs = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
    this.#tempDir = join(dir, 'tmp');
    this.#trashDir = join(dir, 'trash');
  }

  /** Where the body with this hash lives; sharded by its first two hex digits to keep directories small. */
  pathFor(sha256: string): string {
    return join(this.#dir, sha256.slice(0, 2), sha256);
  }

  async write(sha256: string, body: Buffer): Promise<void> {
    const target = this.pathFor(sha256);
    // The rename is atomic, so a file at the target is complete; the size check only guards
    // against someone having truncated it by hand.
    const existing = await stat(target).catch(() => undefined);
    if (existing?.size === body.length) return;

    const shardDir = join(this.#dir, sha256.slice(0, 2));
    await this.#ensureDir(this.#tempDir);
    await this.#ensureDir(shardDir);
    const temp = join(this.#tempDir, `${sha256}.${randomUUID()}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await fsyncDir(shardDir);
  }

  /** The body, or undefined when its file is gone (removed by retention). */
  async read(sha256: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathFor(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // Retention may have just moved it aside while a new payload with the same content committed.
    const names = await readdir(this.#trashDir).catch(() => [] as string[]);
    const aside = names.find((name) => name.startsWith(`${sha256}.`));
    return aside === undefined ? undefined : readFile(join(this.#trashDir, aside)).catch(() => undefined);
  }

  /**
   * Moves a file no payload names any more aside (retention). Not deleted at once: a start that
   * found the file already there may be committing a row that names it right now.
   */
  async trash(sha256: string, nowMs: number): Promise<void> {
    await this.#ensureDir(this.#trashDir);
    await rename(this.pathFor(sha256), join(this.#trashDir, `${sha256}.${nowMs}`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /**
   * Deletes files moved aside more than a minute before nowMs, or puts one back when a payload
   * names it again (isNamed) and its place is empty.
   */
  async emptyTrash(nowMs: number, isNamed: (sha256: string) => boolean): Promise<void> {
    const names = await readdir(this.#trashDir).catch(() => [] as string[]);
    for (const name of names) {
      const [sha256 = '', at = '0'] = name.split('.');
      if (nowMs - Number(at) < TRASH_GRACE_MS) continue;
      const aside = join(this.#trashDir, name);
      if (isNamed(sha256) && (await stat(this.pathFor(sha256)).catch(() => undefined)) === undefined) {
        await this.#ensureDir(join(this.#dir, sha256.slice(0, 2)));
        await rename(aside, this.pathFor(sha256));
      } else {
        await rm(aside, { force: true });
      }
    }
  }

  /**
   * Removes temporary files left by a crash mid-write. Only old ones: another process on the
   * same directory may be writing a fresh one right now.
   */
  async removeStaleTemps(nowMs: number): Promise<void> {
    const names = await readdir(this.#tempDir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(this.#tempDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && nowMs - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
    }
  }

  async #ensureDir(dir: string): Promise<void> {
    if (this.#madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#madeDirs.add(dir);
  }
}

/** Makes a rename inside dir durable; without it a power loss could undo the rename after the row committed. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
