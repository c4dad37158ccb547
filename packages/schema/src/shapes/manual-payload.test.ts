import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { MANUAL_PAYLOAD_MAX_CHARS, ManualPayloadConfigSchema } from './manual-payload.js';

describe('ManualPayloadConfigSchema', () => {
  it('accepts a body in each payload format', () => {
    for (const format of ['json', 'xml', 'csv', 'text']) expect(Value.Check(ManualPayloadConfigSchema, { body: '', format })).toBe(true);
  });

  it('accepts a body of exactly the limit and rejects one character more', () => {
    expect(Value.Check(ManualPayloadConfigSchema, { body: 'x'.repeat(MANUAL_PAYLOAD_MAX_CHARS), format: 'text' })).toBe(true);
    expect(Value.Check(ManualPayloadConfigSchema, { body: 'x'.repeat(MANUAL_PAYLOAD_MAX_CHARS + 1), format: 'text' })).toBe(false);
  });

  it('rejects a missing body, an unknown format and unknown fields', () => {
    expect(Value.Check(ManualPayloadConfigSchema, { format: 'json' })).toBe(false);
    expect(Value.Check(ManualPayloadConfigSchema, { body: '{}', format: 'yaml' })).toBe(false);
    expect(Value.Check(ManualPayloadConfigSchema, { body: '{}', format: 'json', extra: 1 })).toBe(false);
  });
});
