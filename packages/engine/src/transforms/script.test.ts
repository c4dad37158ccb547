import { describe, expect, it } from 'vitest';
import { applyTransform as apply, argProblems, testContext } from './test-support/apply.js';
import type { ScriptCall } from './types.js';

describe('the script transform', () => {
  it('hands the value, meta and variables to the runner and gives back what it answers', async () => {
    const calls: ScriptCall[] = [];
    const ctx = testContext({
      meta: { source: 'shop' },
      variables: { region: 'eu' },
      runScript: async (call) => {
        calls.push(call);
        return `${String(call.value)}!`;
      },
    });
    expect(await apply('script', { script: 'shout', version: 2 }, 'hi', ctx)).toBe('hi!');
    expect(calls).toEqual([{ script: 'shout', version: 2, value: 'hi', meta: { source: 'shop' }, variables: { region: 'eu' } }]);
  });

  it('passes structures whole, not element by element', async () => {
    const ctx = testContext({ runScript: async (call) => (call.value as number[]).length });
    expect(await apply('script', { script: 'count' }, [1, 2, 3], ctx)).toBe(3);
  });

  it('fails where scripts cannot run', async () => {
    await expect(apply('script', { script: 'x' }, 1)).rejects.toMatchObject({
      code: 'MAP_ERROR',
      message: expect.stringContaining('scripts cannot run here'),
    });
  });

  it('refuses bad arguments with their paths', () => {
    expect(argProblems('script', {})).toEqual(['args.script is required']);
    expect(argProblems('script', { script: 'x', version: 0 })).toEqual(['args.version must be at least 1']);
    expect(argProblems('script', { script: 'x', version: 1.5 })).toEqual(['args.version must be an integer']);
    expect(argProblems('script', { script: 'x', timeout: 1 })).toEqual([expect.stringContaining('args.timeout')]);
  });
});
