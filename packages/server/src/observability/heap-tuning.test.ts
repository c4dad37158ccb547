import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { tuneHeap } from './heap-tuning.js';

const MODULE = fileURLToPath(new URL('./heap-tuning.ts', import.meta.url));

/**
 * The peak heap of a fresh process that keeps ~10 MB alive and makes old-generation garbage (batches
 * that outlive a few scavenges, then die), after tuneHeap with the given setting.
 */
function peakHeapMb(heapGrowingPercent: number): number {
  const code = `
    const { tuneHeap } = await import(${JSON.stringify(MODULE)});
    const v8 = await import('node:v8');
    tuneHeap({ heapGrowingPercent: ${heapGrowingPercent} }, []);
    const keep = Array.from({ length: 100000 }, (_, i) => ({ i, s: 'record ' + i }));
    const window = [];
    let peak = 0;
    for (let round = 0; round < 300; round++) {
      window.push(Array.from({ length: 10000 }, (_, i) => ({ round, i, s: 'value ' + round + ' ' + i })));
      if (window.length > 8) window.shift();
      peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
    }
    console.log(JSON.stringify({ peak, kept: keep.length }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!).peak / 1024 / 1024;
}

describe('tuneHeap', () => {
  it('is 30 % unless WEFT_HEAP_GROWING_PERCENT says otherwise, and refuses what is not a whole number', () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(30);
    expect(loadConfig({ WEFT_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadConfig({ WEFT_HEAP_GROWING_PERCENT: '100' }).heapGrowingPercent).toBe(100);
    expect(() => loadConfig({ WEFT_HEAP_GROWING_PERCENT: '1.5' })).toThrow(/WEFT_HEAP_GROWING_PERCENT must be a non-negative integer/);
    expect(() => loadConfig({ WEFT_HEAP_GROWING_PERCENT: '-1' })).toThrow(/WEFT_HEAP_GROWING_PERCENT/);
  });

  it("leaves V8's own factor when the setting is 0 or node was started with --heap-growing-percent", () => {
    expect(tuneHeap({ heapGrowingPercent: 0 }, [])).toBeUndefined();
    expect(tuneHeap({ heapGrowingPercent: 30 }, ['--heap-growing-percent=80'])).toBeUndefined();
    expect(tuneHeap({ heapGrowingPercent: 30 }, ['--heap-growing-percent', '80'])).toBeUndefined();
    expect(tuneHeap({ heapGrowingPercent: 30 }, ['--heap_growing_percent=80'])).toBeUndefined();
  });

  it('makes full collections come sooner: the same garbage peaks at a clearly smaller heap', () => {
    const untuned = peakHeapMb(0);
    const tuned = peakHeapMb(30);
    expect(tuned, `peak ${tuned.toFixed(0)} MB tuned vs ${untuned.toFixed(0)} MB untuned`).toBeLessThan(untuned * 0.8);
  });
});
