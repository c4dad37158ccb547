import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';

describe('WEFT_STORE_THREAD', () => {
  it('is off unless set, and takes on/off, true/false, yes/no and 1/0 in any case', () => {
    expect(loadConfig({}).storeThread).toBe(false);
    expect(loadConfig({ WEFT_STORE_THREAD: '' }).storeThread).toBe(false);
    for (const on of ['on', 'ON', 'true', 'yes', '1']) expect(loadConfig({ WEFT_STORE_THREAD: on }).storeThread, on).toBe(true);
    for (const off of ['off', 'False', 'no', '0']) expect(loadConfig({ WEFT_STORE_THREAD: off }).storeThread, off).toBe(false);
  });

  it('refuses anything else by name instead of guessing', () => {
    expect(() => loadConfig({ WEFT_STORE_THREAD: 'maybe' })).toThrow(/WEFT_STORE_THREAD must be on or off, got "maybe"/);
  });
});
