import { describe, expect, it } from 'vitest';
import { expectAtLeastOnceAcrossKills } from './fault-support.js';
import type { Delivery } from './weft-process.js';

/** The fault tests' check must fail on the records it exists to catch, or they prove nothing. */
describe('expectAtLeastOnceAcrossKills', () => {
  const STEPS = ['a', 'b', 'c'];
  const at = (run: string, step: string, arrivedAt: number): Delivery => ({ run, step, arrivedAt, answeredAt: arrivedAt + 10 });
  /** Run r1 delivers a at 100, b at 200, c at 300; each key once unless repeated. */
  const record = (extra: Array<[string, Delivery]> = []) => {
    const deliveries = new Map<string, Delivery[]>([
      ['k-a', [at('r1', 'a', 100)]],
      ['k-b', [at('r1', 'b', 200)]],
      ['k-c', [at('r1', 'c', 300)]],
    ]);
    for (const [key, d] of extra) deliveries.set(key, [...(deliveries.get(key) ?? []), d]);
    return deliveries;
  };

  it('passes a run that delivered every step once', () => {
    expect(expectAtLeastOnceAcrossKills(record(), ['r1'], STEPS, [250])).toBe(0);
  });

  it('passes a repeat of the step in flight at a kill and counts it', () => {
    // At the kill's cutoff (250) r1 had last started b; b again after the restart is at-least-once.
    expect(expectAtLeastOnceAcrossKills(record([['k-b', at('r1', 'b', 260)]]), ['r1'], STEPS, [250])).toBe(1);
  });

  it('fails when a step completed before the kill is delivered again', () => {
    expect(() => expectAtLeastOnceAcrossKills(record([['k-a', at('r1', 'a', 260)]]), ['r1'], STEPS, [250])).toThrow(
      /completed steps delivered again/,
    );
  });

  it('fails on any repeat when there was no kill', () => {
    expect(() => expectAtLeastOnceAcrossKills(record([['k-c', at('r1', 'c', 310)]]), ['r1'], STEPS, [])).toThrow(
      /completed steps delivered again/,
    );
  });

  it('fails when an accepted run never delivered a step', () => {
    const deliveries = record();
    deliveries.delete('k-c');
    expect(() => expectAtLeastOnceAcrossKills(deliveries, ['r1'], STEPS, [])).toThrow(/steps never delivered/);
  });

  it('fails when a retry of a step carried a different Idempotency-Key', () => {
    expect(() => expectAtLeastOnceAcrossKills(record([['k-b2', at('r1', 'b', 260)]]), ['r1'], STEPS, [250])).toThrow(
      /different Idempotency-Keys/,
    );
  });

  it('fails when one key was used for two different steps', () => {
    expect(() => expectAtLeastOnceAcrossKills(record([['k-a', at('r1', 'b', 260)]]), ['r1'], STEPS, [250])).toThrow(/one key, one step/);
  });
});
