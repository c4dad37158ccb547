import { findTemplateReferences } from '@weft/schema';
import { describe, expect, it, vi } from 'vitest';
import { hasTemplate, renderTemplate, runTemplateScope, type TemplateScope, templateProblems, templateReferences } from './index.js';

const scope = (payload?: unknown): TemplateScope => ({
  payload: payload === undefined ? undefined : () => payload,
  meta: { source: 'shop', 'x-id': '42' },
  flow: { crm_url: 'http://127.0.0.1:9000/customers', empty: '' },
  run: runTemplateScope({ id: 'run_1', queuedAt: '2026-11-10T09:00:00.000Z' }),
});

describe('renderTemplate', () => {
  it('returns a string without templates untouched', () => {
    expect(renderTemplate('plain text', scope())).toBe('plain text');
  });

  it('fills flow variables, meta entries and run fields', () => {
    expect(renderTemplate('[[flow.crm_url]]?src=[[meta.source]]&id=[[meta.x-id]]&run=[[run.id]]@[[run.queued_at]]', scope())).toBe(
      'http://127.0.0.1:9000/customers?src=shop&id=42&run=run_1@2026-11-10T09:00:00.000Z',
    );
  });

  it('allows spaces inside the brackets', () => {
    expect(renderTemplate('[[ flow.crm_url ]]', scope())).toBe('http://127.0.0.1:9000/customers');
  });

  it('reads payload paths, rendering numbers as text and structures as JSON', () => {
    const payload = { order: { id: 7, lines: [{ sku: 'A' }, { sku: 'B' }], flags: { a: true } } };
    expect(renderTemplate('#[[payload.order.id]] [[payload.order.flags]]', scope(payload))).toBe('#7 {"a":true}');
  });

  it('joins every match of a wildcard path with commas', () => {
    expect(renderTemplate('ids=[[payload.*.id]]', scope([{ id: 1 }, { x: 0 }, { id: 3 }]))).toBe('ids=1,3');
  });

  it('renders a missing payload path as an empty string', () => {
    expect(renderTemplate('[<[[payload.nothing.here]]>]', scope({}))).toBe('[<>]');
    expect(renderTemplate('[[payload.a]]', scope())).toBe('');
  });

  it('renders the whole payload for a bare [[payload]]', () => {
    expect(renderTemplate('[[payload]]', scope('hello'))).toBe('hello');
    expect(renderTemplate('[[payload]]', scope([1, 2]))).toBe('[1,2]');
  });

  it('reads the payload lazily and only once per render', () => {
    const payload = vi.fn(() => ({ a: 1, b: 2 }));
    expect(renderTemplate('[[flow.empty]]', { ...scope(), payload })).toBe('');
    expect(payload).not.toHaveBeenCalled();
    expect(renderTemplate('[[payload.a]][[payload.b]]', { ...scope(), payload })).toBe('12');
    expect(payload).toHaveBeenCalledTimes(1);
  });

  it('throws TEMPLATE_ERROR naming an unknown flow variable, meta key or run field', () => {
    expect(() => renderTemplate('[[flow.nope]]', scope())).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_ERROR', message: expect.stringContaining('flow variable "nope"') }),
    );
    expect(() => renderTemplate('[[meta.nope]]', scope())).toThrow(/meta key "nope"/);
    expect(() => renderTemplate('[[run.started_at]]', scope())).toThrow(expect.objectContaining({ code: 'TEMPLATE_ERROR' }));
    expect(() => renderTemplate('[[vars.x]]', scope())).toThrow(/unknown root "vars"/);
  });

  it('does not take inherited properties for variables', () => {
    expect(() => renderTemplate('[[flow.constructor]]', scope())).toThrow(expect.objectContaining({ code: 'TEMPLATE_ERROR' }));
    expect(() => renderTemplate('[[meta.__proto__]]', scope())).toThrow(expect.objectContaining({ code: 'TEMPLATE_ERROR' }));
    expect(renderTemplate('[[payload.__proto__]]', scope({}))).toBe('');
  });

  it('leaves JSON arrays and unclosed brackets alone', () => {
    expect(renderTemplate('[[1,2]] [["a"]] [[]] [[flow.crm_url', scope())).toBe('[[1,2]] [["a"]] [[]] [[flow.crm_url');
  });

  it('throws TEMPLATE_ERROR for a malformed payload path', () => {
    expect(() => renderTemplate('[[payload.a..b]]', scope({}))).toThrow(expect.objectContaining({ code: 'TEMPLATE_ERROR' }));
    expect(() => renderTemplate('[[payload.]]', scope({}))).toThrow(expect.objectContaining({ code: 'TEMPLATE_ERROR' }));
  });
});

describe('templateReferences', () => {
  it('lists references with known roots in order', () => {
    expect(templateReferences('[[payload]] [[payload.*.id]] [[meta.k]] [[flow.v]] [[run.id]] [[other.x]]')).toEqual([
      { root: 'payload', path: '' },
      { root: 'payload', path: '*.id' },
      { root: 'meta', path: 'k' },
      { root: 'flow', path: 'v' },
      { root: 'run', path: 'id' },
    ]);
    expect(hasTemplate('no refs [[1]]')).toBe(false);
    expect(hasTemplate('[[flow.x]]')).toBe(true);
  });

  it('finds the same references as the flow validator', () => {
    const samples = [
      '[[flow.a]] and [[ meta.b ]]',
      '[[payload]][[payload.x.*.y]]',
      '[[1,2]] [[run]] [[nope]] [[nope.x]]',
      '[[flow.x]',
      '[[ flow . x ]]',
    ];
    for (const sample of samples) {
      const ours = templateReferences(sample);
      const theirs = findTemplateReferences(sample)
        .filter((r) => ['payload', 'meta', 'flow', 'run'].includes(r.root))
        .map((r) => ({ root: r.root, path: r.path ?? '' }));
      expect(ours).toEqual(theirs);
    }
  });
});

describe('templateProblems', () => {
  it('reports unknown roots, unknown run fields, bad paths and missing keys', () => {
    expect(templateProblems('[[vars.x]] [[run.nope]] [[payload.a..b]] [[meta.]] [[flow]]')).toEqual([
      expect.stringContaining('unknown root "vars"'),
      expect.stringContaining('unknown run field'),
      expect.stringContaining('empty segment'),
      expect.stringContaining('needs a meta key'),
      expect.stringContaining('needs a variable name'),
    ]);
  });

  it('checks flow variables against the declared ones when given', () => {
    expect(templateProblems('[[flow.crm_url]] [[flow.typo]]', { variables: ['crm_url'] })).toEqual([
      expect.stringContaining('"typo", which is not declared'),
    ]);
    expect(templateProblems('[[flow.anything]]')).toEqual([]);
  });

  it('accepts every valid reference', () => {
    expect(templateProblems('[[payload]] [[payload.*.id]] [[meta.k]] [[run.id]] [[run.queued_at]]')).toEqual([]);
  });
});
