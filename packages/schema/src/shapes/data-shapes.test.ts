import { describe, expect, it } from 'vitest';
import type { FlowDefinition } from '../flow.js';
import { validateDefinition } from '../validate/index.js';

function errors(shape: string, config: Record<string, unknown>) {
  const definition: FlowDefinition = {
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 's', shape, config },
    ],
    edges: [{ from: 'trigger', to: 's' }],
  };
  return validateDefinition(definition);
}

describe('validateDefinition: cache_add', () => {
  it('accepts a templated key in every scope, with append and ttl', () => {
    for (const scope of ['run', 'flow', 'company']) {
      expect(errors('cache_add', { cache: 'orders', key: 'o-[[payload.id]]', scope, append: true, ttl: 3600 })).toEqual({});
    }
  });

  it('names each bad setting by its path', () => {
    expect(errors('cache_add', { cache: 'has space', key: '', scope: 'global', append: 'yes', ttl: 0, extra: 1 })).toEqual({
      'steps[1].config.cache': [expect.stringContaining('letters, digits')],
      'steps[1].config.key': ['must not be empty'],
      'steps[1].config.scope': [expect.stringContaining('must be one of')],
      'steps[1].config.append': ['must be true or false'],
      'steps[1].config.ttl': [expect.stringContaining('at least 1')],
      'steps[1].config.extra': ['unknown field "extra"'],
    });
    expect(errors('cache_add', { key: 'k' })).toEqual({ 'steps[1].config.cache': ['is required'] });
  });

  it('refuses a template with an unknown root in the key', () => {
    expect(errors('cache_add', { cache: 'c', key: '[[paylod.id]]' })['steps[1].config.key']).toBeDefined();
  });
});

describe('validateDefinition: cache_load', () => {
  it('needs a key unless all_pages is set', () => {
    expect(errors('cache_load', { cache: 'orders' })).toEqual({
      'steps[1].config.key': [expect.stringContaining('required unless all_pages')],
    });
    expect(errors('cache_load', { cache: 'orders', all_pages: true })).toEqual({});
    expect(errors('cache_load', { cache: 'orders', key: 'page-', all_pages: true, fail_on_miss: true, scope: 'run' })).toEqual({});
  });

  it('names bad settings by their path', () => {
    expect(errors('cache_load', { cache: '', key: 'k', fail_on_miss: 1 })).toEqual({
      'steps[1].config.cache': [expect.stringContaining('letters, digits')],
      'steps[1].config.fail_on_miss': ['must be true or false'],
    });
  });
});

describe('validateDefinition: dedupe', () => {
  it('accepts a pool with a records path, a key field and each behaviour', () => {
    for (const behaviour of ['filter', 'track', 'filter_and_track']) {
      expect(errors('dedupe', { pool: 'orders', path: 'orders', key_field: 'customer.id', behaviour })).toEqual({});
    }
    expect(errors('dedupe', { pool: 'whole-payloads' })).toEqual({});
  });

  it('names bad paths, behaviours and pools by their path', () => {
    expect(errors('dedupe', { pool: 'a b', path: 'a.*.b', key_field: 'lines.*.sku', behaviour: 'drop' })).toEqual({
      'steps[1].config.pool': [expect.stringContaining('letters, digits')],
      'steps[1].config.behaviour': [expect.stringContaining('must be one of')],
    });
    expect(errors('dedupe', { pool: 'p', path: 'a.*.b', key_field: 'lines.*.sku' })).toEqual({
      'steps[1].config.path': [expect.stringContaining('only as its last segment')],
      'steps[1].config.key_field': [expect.stringContaining('may not use "*"')],
    });
    expect(errors('dedupe', { pool: 'p', key_field: 'a..b' })).toEqual({
      'steps[1].config.key_field': [expect.stringContaining('empty segment')],
    });
    expect(errors('dedupe', {})).toEqual({ 'steps[1].config.pool': ['is required'] });
  });
});

describe('validateDefinition: track_data', () => {
  it('accepts fields with wildcard paths', () => {
    expect(
      errors('track_data', {
        fields: [
          { path: '*.order_number', entity: 'order' },
          { path: 'customer.email', entity: 'customer' },
        ],
      }),
    ).toEqual({});
  });

  it('names the field whose path or entity is wrong', () => {
    expect(errors('track_data', { fields: [{ path: 'a..b', entity: 'order' }, { path: 'x', entity: '' }, { path: 'y' }] })).toEqual({
      'steps[1].config.fields[1].entity': [expect.stringContaining('letters, digits')],
      'steps[1].config.fields[2].entity': ['is required'],
    });
    expect(errors('track_data', { fields: [{ path: 'a..b', entity: 'order' }] })).toEqual({
      'steps[1].config.fields[0].path': [expect.stringContaining('empty segment')],
    });
    expect(errors('track_data', { fields: [] })).toEqual({ 'steps[1].config.fields': ['must not be empty'] });
  });
});
