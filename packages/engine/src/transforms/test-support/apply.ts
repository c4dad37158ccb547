import { compileTransform } from '../index.js';
import type { TransformContext } from '../types.js';

/** A context for tests: fixed clock, empty scope, the record given. */
export function testContext(overrides: Partial<TransformContext> = {}): TransformContext {
  return {
    now: () => new Date('2026-11-10T09:00:00.000Z'),
    record: () => undefined,
    input: () => undefined,
    meta: {},
    variables: {},
    run: { id: 'run_1', queued_at: '2026-11-10T08:59:59.000Z' },
    ...overrides,
  };
}

/** Validates, compiles and applies one transform the way the map runner does; throws on argument problems. */
export async function applyTransform(
  fn: string,
  args: Record<string, unknown> | undefined,
  value: unknown,
  ctx = testContext(),
): Promise<unknown> {
  const { transform, problems } = compileTransform(fn, args);
  if (transform === undefined) throw new Error(problems.map((p) => `${p.path} ${p.message}`).join('; '));
  if ((value === undefined || value === null) && !transform.acceptsMissing) return value;
  return await transform.apply(value, ctx);
}

export function argProblems(fn: string, args: unknown): string[] {
  return compileTransform(fn, args).problems.map((p) => `${p.path} ${p.message}`);
}
