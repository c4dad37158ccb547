import { describe, expect, it } from 'vitest';
import type { FlowDefinition } from '../flow.js';
import { validateDefinition } from './index.js';

/** trigger → the step under test. */
function oneStep(shape: string, config: Record<string, unknown>, variables?: Record<string, string>): FlowDefinition {
  return {
    ...(variables ? { variables } : {}),
    steps: [
      { id: 'trigger', shape: 'trigger', config: {} },
      { id: 's', shape, config },
    ],
    edges: [{ from: 'trigger', to: 's' }],
  };
}

const errors = (shape: string, config: Record<string, unknown>) => validateDefinition(oneStep(shape, config));

describe('validateDefinition: filter', () => {
  it('accepts every operator with the value it needs', () => {
    const conditions = [
      { field: 'a', op: 'eq', value: 1 },
      { field: 'a', op: 'gte', value: '2026-01-01' },
      { field: 'a', op: 'in', value: ['x', 'y'] },
      { field: 'a.*.b', op: 'exists' },
      { field: '', op: 'not_empty' },
      { field: 'a', op: 'matches', value: '^x\\d+$' },
    ];
    expect(errors('filter', { path: 'orders', conditions, logic: 'or', mode: 'remove' })).toEqual({});
  });

  it('names the condition field that lacks or misuses a value', () => {
    expect(
      errors('filter', {
        conditions: [
          { field: 'a', op: 'eq' },
          { field: 'a', op: 'in', value: 'x' },
          { field: 'a', op: 'exists', value: true },
          { field: 'a', op: 'contains', value: { x: 1 } },
          { field: 'a..b', op: 'eq', value: 1 },
        ],
      }),
    ).toEqual({
      'steps[1].config.conditions[0].value': ['is required for op "eq"'],
      'steps[1].config.conditions[1].value': ['must be a list for op "in", got a string'],
      'steps[1].config.conditions[2].value': ['is not used by op "exists"; remove it'],
      'steps[1].config.conditions[3].value': ['must be a string, number, boolean or null for op "contains", got an object'],
      'steps[1].config.conditions[4].field': ['has an empty segment (two dots in a row, or a leading or trailing dot)'],
    });
  });

  it('refuses catastrophic and broken patterns', () => {
    expect(errors('filter', { conditions: [{ field: 'a', op: 'matches', value: '(a+)+$' }] })).toEqual({
      'steps[1].config.conditions[0].value': [
        'must not repeat a group that itself repeats, such as (a+)+ or (\\w*)*; such patterns can take exponential time',
      ],
    });
    expect(errors('filter', { conditions: [{ field: 'a', op: 'matches', value: 7 }] })).toEqual({
      'steps[1].config.conditions[0].value': ['must be a regular expression (a string) for op "matches", got a number'],
    });
  });

  it('refuses an unknown operator, no conditions and a star inside the path', () => {
    expect(errors('filter', { path: 'a.*.b', conditions: [{ field: 'a', op: 'exists' }] })['steps[1].config.path']).toEqual([
      expect.stringContaining('may use "*" only as its last segment'),
    ]);
    expect(errors('filter', { conditions: [] })['steps[1].config.conditions']).toBeDefined();
    expect(errors('filter', { conditions: [{ field: 'a', op: 'like', value: 'x' }] })['steps[1].config.conditions[0].op']).toEqual([
      expect.stringMatching(/^must be one of eq, neq, /),
    ]);
  });
});

describe('validateDefinition: route and branch', () => {
  it('refuses duplicate labels, naming the earlier one', () => {
    expect(errors('route', { routes: [{ label: 'uk' }, { label: 'uk' }] })).toEqual({
      'steps[1].config.routes[1].label': ['duplicates the label of routes[0]; each route needs its own label'],
    });
    expect(errors('branch', { branches: [{ label: 'a' }, { label: 'a' }] })).toEqual({
      'steps[1].config.branches[1].label': ['duplicates the label of branches[0]; each branch needs its own label'],
    });
  });

  it('checks the conditions of each route at their path', () => {
    expect(errors('route', { routes: [{ label: 'a' }, { label: 'b', conditions: [{ field: 'x', op: 'not_in', value: 1 }] }] })).toEqual({
      'steps[1].config.routes[1].conditions[0].value': ['must be a list for op "not_in", got a number'],
    });
  });

  it('allows at most six branches', () => {
    const branches = Array.from({ length: 7 }, (_, i) => ({ label: `b${i}` }));
    expect(errors('branch', { branches })['steps[1].config.branches']).toBeDefined();
  });

  it('refuses an unknown method', () => {
    expect(errors('route', { routes: [{ label: 'a' }], method: 'any' })['steps[1].config.method']).toEqual([
      'must be one of all_matching, first_matching',
    ]);
  });
});

describe('validateDefinition: flow_control and split', () => {
  it('accepts a size and a path to a list', () => {
    expect(errors('flow_control', { path: 'orders.*', size: 100, no_wrap_single: true })).toEqual({});
    expect(errors('split', { path: '*', wrapper_key: 'order' })).toEqual({});
  });

  it('refuses a size below one and a star inside the path', () => {
    expect(Object.keys(errors('flow_control', { size: 0 }))).toEqual(['steps[1].config.size']);
    expect(Object.keys(errors('flow_control', { path: '*.lines', size: 1 }))).toEqual(['steps[1].config.path']);
    expect(Object.keys(errors('split', { wrapper_key: '' }))).toEqual(['steps[1].config.wrapper_key']);
  });
});

describe('validateDefinition: set_variables', () => {
  it('lets later templates use the variables a set_variables step sets', () => {
    const definition = oneStep('set_variables', { variables: { order_id: '[[payload.id]]' }, meta: { 'x-source': 'shop' } });
    definition.steps.push({ id: 'n', shape: 'notify', config: { template: 'order [[flow.order_id]]' } });
    definition.edges.push({ from: 's', to: 'n' });
    expect(validateDefinition(definition)).toEqual({});
  });

  it('refuses bad variable names and a step that sets nothing', () => {
    expect(errors('set_variables', { variables: { 'bad name': 'x' } })).toEqual({
      'steps[1].config.variables["bad name"]': ['variable names must be 1-64 characters of letters, digits, "_" and "-", got "bad name"'],
    });
    expect(errors('set_variables', {})).toEqual({ 'steps[1].config.variables': ['sets nothing: name at least one variable or meta key'] });
  });
});

describe('validateDefinition: assert, notify and try_catch', () => {
  it('requires an expected document and well-formed ignore paths', () => {
    expect(errors('assert', { expected: { a: 1 }, ignore_paths: ['*.at'] })).toEqual({});
    expect(errors('assert', { expected: null })).toEqual({});
    expect(Object.keys(errors('assert', {}))).toEqual(['steps[1].config.expected']);
    expect(errors('assert', { expected: 1, ignore_paths: ['a.'] })).toEqual({
      'steps[1].config.ignore_paths[0]': ['has an empty segment (two dots in a row, or a leading or trailing dot)'],
    });
  });

  it('takes the email channels with a group, and names the group field when it is missing or out of place', () => {
    expect(errors('notify', { channel: 'log', level: 'success', template: 'done' })).toEqual({});
    expect(errors('notify', { channel: 'both', group: 'ops', subject: 'Order [[payload.id]]', template: 'x' })).toEqual({});
    expect(errors('notify', { channel: 'email', template: 'x' })).toEqual({
      'steps[1].config.group': ['is required with channel "email": name the notification group that receives the email'],
    });
    expect(errors('notify', { group: 'ops', template: 'x' })).toEqual({
      'steps[1].config.group': ['is only used by the channels "email" and "both"; remove it or set channel to "email" or "both"'],
    });
    expect(Object.keys(errors('notify', { channel: 'email', group: '', template: 'x' }))).toEqual(['steps[1].config.group']);
    expect(Object.keys(errors('notify', { channel: 'fax', template: 'x' }))).toEqual(['steps[1].config.channel']);
    expect(Object.keys(errors('notify', { template: '' }))).toEqual(['steps[1].config.template']);
  });

  it('refuses an unknown on_error', () => {
    expect(errors('try_catch', { on_error: 'ignore' })).toEqual({
      'steps[1].config.on_error': ['must be one of partial_success, fail'],
    });
  });
});
