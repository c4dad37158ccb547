import type { Condition, ConditionLogic } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { compileConditions } from './index.js';

const scope = { meta: { region: 'EU' }, flow: { since: '2026-01-01', minimum: '10' }, run: { id: 'r1', queued_at: '' } };

function holds(condition: Condition, record: unknown): boolean {
  return compileConditions([condition]).bind(scope)(record);
}

function all(conditions: Condition[], logic: ConditionLogic, record: unknown): boolean {
  return compileConditions(conditions, logic).bind(scope)(record);
}

describe('conditions: equality', () => {
  it('compares a number with text holding the same number, as CSV and XML values are text', () => {
    expect(holds({ field: 'qty', op: 'eq', value: 3 }, { qty: '3' })).toBe(true);
    expect(holds({ field: 'qty', op: 'eq', value: 3 }, { qty: '3.0' })).toBe(true);
    expect(holds({ field: 'qty', op: 'eq', value: 3 }, { qty: 'three' })).toBe(false);
  });

  it('keeps text equality exact, so codes with leading zeros stay distinct', () => {
    expect(holds({ field: 'zip', op: 'eq', value: '007' }, { zip: '7' })).toBe(false);
    expect(holds({ field: 'zip', op: 'eq', value: '007' }, { zip: '007' })).toBe(true);
  });

  it('treats two ISO dates naming the same instant as equal', () => {
    expect(holds({ field: 'at', op: 'eq', value: '2026-03-01T10:00:00Z' }, { at: '2026-03-01T11:00:00+01:00' })).toBe(true);
  });

  it('compares booleans with their words, and null only with null', () => {
    expect(holds({ field: 'active', op: 'eq', value: true }, { active: 'true' })).toBe(true);
    expect(holds({ field: 'x', op: 'eq', value: null }, { x: null })).toBe(true);
    expect(holds({ field: 'x', op: 'eq', value: null }, {})).toBe(false);
  });

  it('makes neq the exact opposite of eq, so a missing field is not equal', () => {
    expect(holds({ field: 'status', op: 'neq', value: 'paid' }, { status: 'open' })).toBe(true);
    expect(holds({ field: 'status', op: 'neq', value: 'paid' }, {})).toBe(true);
    expect(holds({ field: 'status', op: 'neq', value: 'paid' }, { status: 'paid' })).toBe(false);
  });
});

describe('conditions: ordering', () => {
  it('compares numbers as numbers, even when both are text', () => {
    expect(holds({ field: 'total', op: 'gt', value: 9 }, { total: '10' })).toBe(true);
    expect(holds({ field: 'total', op: 'gt', value: '9' }, { total: '10' })).toBe(true);
    expect(holds({ field: 'total', op: 'lte', value: 10 }, { total: 10 })).toBe(true);
    expect(holds({ field: 'total', op: 'lt', value: 10 }, { total: 10 })).toBe(false);
    expect(holds({ field: 'total', op: 'gte', value: 10.5 }, { total: 10 })).toBe(false);
  });

  it('compares ISO dates and date-times as instants, reading a date-time without offset as UTC', () => {
    expect(holds({ field: 'at', op: 'gt', value: '2026-02-28T23:00:00Z' }, { at: '2026-03-01' })).toBe(true);
    expect(holds({ field: 'at', op: 'lt', value: '2026-03-01T00:00:01Z' }, { at: '2026-03-01 00:00:00' })).toBe(true);
  });

  it('never holds for a missing, null or unorderable value', () => {
    expect(holds({ field: 'total', op: 'gt', value: 1 }, {})).toBe(false);
    expect(holds({ field: 'total', op: 'lt', value: 1 }, { total: null })).toBe(false);
    expect(holds({ field: 'total', op: 'lt', value: 1 }, { total: 'many' })).toBe(false);
    expect(holds({ field: 'total', op: 'gt', value: 1 }, { total: { n: 2 } })).toBe(false);
  });

  it('orders other text by its characters', () => {
    expect(holds({ field: 'name', op: 'lt', value: 'b' }, { name: 'alice' })).toBe(true);
  });
});

describe('conditions: text and list operators', () => {
  it('finds text inside text and an element inside a list', () => {
    expect(holds({ field: 'email', op: 'contains', value: '@example' }, { email: 'a@example.com' })).toBe(true);
    expect(holds({ field: 'tags', op: 'contains', value: 'vip' }, { tags: ['new', 'vip'] })).toBe(true);
    expect(holds({ field: 'tags', op: 'not_contains', value: 'vip' }, { tags: ['new'] })).toBe(true);
    expect(holds({ field: 'tags', op: 'not_contains', value: 'vip' }, {})).toBe(true);
  });

  it('tests the start and end of text, numbers read as written', () => {
    expect(holds({ field: 'sku', op: 'starts_with', value: 'AB-' }, { sku: 'AB-12' })).toBe(true);
    expect(holds({ field: 'sku', op: 'ends_with', value: '12' }, { sku: 'AB-12' })).toBe(true);
    expect(holds({ field: 'code', op: 'starts_with', value: '44' }, { code: 4412 })).toBe(true);
    expect(holds({ field: 'sku', op: 'starts_with', value: 'AB' }, { sku: ['AB'] })).toBe(false);
  });

  it('checks membership of a list of values', () => {
    expect(holds({ field: 'country', op: 'in', value: ['GB', 'IE'] }, { country: 'IE' })).toBe(true);
    expect(holds({ field: 'n', op: 'in', value: [1, 2] }, { n: '2' })).toBe(true);
    expect(holds({ field: 'country', op: 'not_in', value: ['GB', 'IE'] }, { country: 'FR' })).toBe(true);
    expect(holds({ field: 'country', op: 'in', value: ['GB'] }, {})).toBe(false);
  });

  it('tells present from missing, and empty values from the rest', () => {
    expect(holds({ field: 'x', op: 'exists' }, { x: null })).toBe(true);
    expect(holds({ field: 'x', op: 'not_exists' }, { y: 1 })).toBe(true);
    for (const empty of [undefined, null, '', [], {}]) expect(holds({ field: 'x', op: 'empty' }, { x: empty })).toBe(true);
    for (const full of [0, false, ' ', [0], { a: 1 }]) expect(holds({ field: 'x', op: 'not_empty' }, { x: full })).toBe(true);
  });

  it('matches regular expressions against text and numbers', () => {
    expect(holds({ field: 'ref', op: 'matches', value: '^ORD-\\d{4}$' }, { ref: 'ORD-1234' })).toBe(true);
    expect(holds({ field: 'ref', op: 'matches', value: '^ORD-\\d{4}$' }, { ref: 'ORD-12345' })).toBe(false);
    expect(holds({ field: 'n', op: 'matches', value: '^4' }, { n: 42 })).toBe(true);
    expect(holds({ field: 'n', op: 'matches', value: '.' }, {})).toBe(false);
  });

  it('refuses a catastrophic pattern before running it', () => {
    expect(() => compileConditions([{ field: 'x', op: 'matches', value: '(a+)+$' }])).toThrow(/must not repeat a group/);
    expect(() => compileConditions([{ field: 'x', op: 'matches', value: 'a'.repeat(201) }])).toThrow(/at most 200/);
  });
});

describe('conditions: fields, logic and templates', () => {
  it('reads nested fields, and the record itself with an empty field', () => {
    expect(holds({ field: 'customer.address.country', op: 'eq', value: 'GB' }, { customer: { address: { country: 'GB' } } })).toBe(true);
    expect(holds({ field: '', op: 'eq', value: 'x' }, 'x')).toBe(true);
  });

  it('holds for a field with a star when any element passes, and negated ops when none does', () => {
    const order = { lines: [{ sku: 'A' }, { sku: 'B' }] };
    expect(holds({ field: 'lines.*.sku', op: 'eq', value: 'B' }, order)).toBe(true);
    expect(holds({ field: 'lines.*.sku', op: 'neq', value: 'B' }, order)).toBe(false);
    expect(holds({ field: 'lines.*.sku', op: 'exists' }, { lines: [] })).toBe(false);
  });

  it('combines conditions with and / or', () => {
    const conditions: Condition[] = [
      { field: 'a', op: 'eq', value: 1 },
      { field: 'b', op: 'eq', value: 2 },
    ];
    expect(all(conditions, 'and', { a: 1, b: 3 })).toBe(false);
    expect(all(conditions, 'or', { a: 1, b: 3 })).toBe(true);
    expect(all(conditions, 'or', { a: 0, b: 3 })).toBe(false);
  });

  it('takes every record when there are no conditions', () => {
    const set = compileConditions([]);
    expect(set.empty).toBe(true);
    expect(set.bind(scope)(null)).toBe(true);
  });

  it('renders templated values once per binding, from flow variables, meta and the payload', () => {
    expect(holds({ field: 'at', op: 'gte', value: '[[flow.since]]' }, { at: '2026-02-01' })).toBe(true);
    expect(holds({ field: 'total', op: 'gt', value: '[[flow.minimum]]' }, { total: 9 })).toBe(false);
    expect(holds({ field: 'region', op: 'in', value: ['[[meta.region]]', 'US'] }, { region: 'EU' })).toBe(true);
  });

  it('names the condition when a templated value refers to something unknown', () => {
    const set = compileConditions([{ field: 'x', op: 'eq', value: '[[flow.nope]]' }], 'and', 'routes[1].conditions');
    expect(() => set.bind(scope)).toThrow(/^routes\[1\]\.conditions\[0\]\.value: .*"nope"/);
  });

  it('tests a hundred thousand records quickly', () => {
    const records = Array.from({ length: 100_000 }, (_, i) => ({ id: i, status: i % 3 === 0 ? 'paid' : 'open', total: String(i) }));
    const test = compileConditions(
      [
        { field: 'status', op: 'eq', value: 'paid' },
        { field: 'total', op: 'gte', value: 50_000 },
      ],
      'and',
    ).bind(scope);
    const started = performance.now();
    const kept = records.filter(test);
    expect(kept).toHaveLength(16_667);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
