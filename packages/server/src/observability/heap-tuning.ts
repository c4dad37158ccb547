import v8 from 'node:v8';
import type { Config } from '../config/index.js';

const FLAG = '--heap-growing-percent';

/**
 * Applies WEFT_HEAP_GROWING_PERCENT to this process's V8 heap. V8 lets the old generation grow up to
 * about four times what survived the last full collection before it collects again, and large
 * strings (a big payload's text, its serialised output) live in large-object space, which only a
 * full collection frees: one 8 MiB payload left about 80 MB of such garbage standing, and a busy
 * server's old generation reached three times its live size between collections. A smaller factor
 * makes full collections (mostly concurrent, off the main thread) come sooner.
 *
 * Not applied when node was started with the flag itself (that choice wins), nor when the setting
 * is 0. Returns the percentage in force from here on, or undefined when V8 keeps its own factor.
 */
export function tuneHeap(config: Pick<Config, 'heapGrowingPercent'>, execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`) || arg.startsWith('--heap_growing_percent'))) return undefined;
  if (config.heapGrowingPercent === 0) return undefined;
  v8.setFlagsFromString(`${FLAG}=${config.heapGrowingPercent}`);
  return config.heapGrowingPercent;
}
