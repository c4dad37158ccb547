import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';

describe('WEFT_TEST_FAULT', () => {
  it('is off unless set', () => {
    expect(loadConfig({}).testFault).toBeUndefined();
    expect(loadConfig({ WEFT_TEST_FAULT: '' }).testFault).toBeUndefined();
  });

  it('accepts exit-after-commit, the fault the end-to-end tests inject', () => {
    expect(loadConfig({ WEFT_TEST_FAULT: 'exit-after-commit' }).testFault).toBe('exit-after-commit');
  });

  it('refuses an unknown fault by name instead of silently running without it', () => {
    expect(() => loadConfig({ WEFT_TEST_FAULT: 'exit-before-commit' })).toThrow(/WEFT_TEST_FAULT must be "exit-after-commit"/);
  });
});
