import { randomFillSync } from 'node:crypto';

/**
 * Ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit sequence, then 62 random
 * bits. Because they sort by creation time, "newest first" is a walk of the primary key (or of an
 * index ending in it) instead of a sort, and retention can find old rows by id range. The canonical
 * UUID text also fits a PostgreSQL `uuid` column.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Randomness is drawn in blocks: one syscall per 512 ids instead of one per id.
const RANDOM_BLOCK = Buffer.alloc(8 * 512);
let randomOffset = RANDOM_BLOCK.length;

function randomBytes8(): Buffer {
  if (randomOffset >= RANDOM_BLOCK.length) {
    randomFillSync(RANDOM_BLOCK);
    randomOffset = 0;
  }
  const bytes = RANDOM_BLOCK.subarray(randomOffset, randomOffset + 8);
  randomOffset += 8;
  return bytes;
}

const SEQUENCE_MAX = 0xfff;
let lastMs = -1;
let sequence = 0;

/**
 * A new time-ordered id. Ids made by this process are strictly increasing even within one
 * millisecond or when the wall clock steps back: the sequence counts up within a millisecond and,
 * when it runs out or the clock regresses, the id borrows the next millisecond.
 */
export function newId(): string {
  return newIdAt(Date.now());
}

/** Same as newId, with the clock reading supplied (so a row's timestamp and its id agree). */
export function newIdAt(nowMs: number): string {
  let ms = Math.floor(nowMs);
  if (ms > lastMs) {
    // Start low in the sequence space so many ids fit in the same millisecond.
    sequence = (randomBytes8()[0] ?? 0) << 2;
  } else {
    ms = lastMs;
    sequence += 1;
    if (sequence > SEQUENCE_MAX) {
      ms += 1;
      sequence = 0;
    }
  }
  lastMs = ms;

  const rand = randomBytes8();
  const b0 = Math.floor(ms / 2 ** 40) & 0xff;
  const b1 = Math.floor(ms / 2 ** 32) & 0xff;
  const b2 = (ms >>> 24) & 0xff;
  const b3 = (ms >>> 16) & 0xff;
  const b4 = (ms >>> 8) & 0xff;
  const b5 = ms & 0xff;
  const b6 = 0x70 | (sequence >>> 8);
  const b7 = sequence & 0xff;
  const b8 = 0x80 | ((rand[0] ?? 0) & 0x3f);
  return (
    `${HEX[b0]}${HEX[b1]}${HEX[b2]}${HEX[b3]}-${HEX[b4]}${HEX[b5]}-${HEX[b6]}${HEX[b7]}-` +
    `${HEX[b8]}${HEX[rand[1] ?? 0]}-${HEX[rand[2] ?? 0]}${HEX[rand[3] ?? 0]}${HEX[rand[4] ?? 0]}` +
    `${HEX[rand[5] ?? 0]}${HEX[rand[6] ?? 0]}${HEX[rand[7] ?? 0]}`
  );
}

/** The millisecond timestamp an id was made at (the time it carries, which may be borrowed). */
export function idTimeMs(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
