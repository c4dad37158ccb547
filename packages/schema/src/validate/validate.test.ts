import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import type { FlowDefinition } from '../flow.js';
import { SHAPE_CONFIG_SCHEMAS } from '../shapes/index.js';
import { DefinitionSchema, isValidDefinition, validateDefinition } from './index.js';
import { chain, journeyDefinition, step } from './test-support/definitions.js';

/** The journey flow with `change` applied to a copy. */
function journeyWith(change: (definition: FlowDefinition) => void): FlowDefinition {
  const definition = journeyDefinition();
  change(definition);
  return definition;
}

function stepAt(definition: FlowDefinition, index: number) {
  const found = definition.steps[index];
  if (found === undefined) throw new Error(`no step ${index}`);
  return found;
}

// The labelled shapes with their real schemas (once stand-ins, from before they were built).
const withFlowControlShapes = { knownShapes: SHAPE_CONFIG_SCHEMAS };

describe('validateDefinition on the definition as a whole', () => {
  it('accepts the journey flow of spec/flows.md §1', () => {
    expect(validateDefinition(journeyDefinition())).toEqual({});
    expect(isValidDefinition(journeyDefinition())).toBe(true);
  });

  it('accepts a definition with only a trigger and no edges', () => {
    expect(validateDefinition({ steps: [step('trigger', 'trigger')], edges: [] })).toEqual({});
  });

  it.each([
    ['null', null, 'got null'],
    ['an array', [], 'got an array'],
    ['a string', '{"steps": []}', 'got a string'],
    ['a number', 42, 'got a number'],
    ['a boolean', true, 'got a boolean'],
    ['nothing', undefined, 'got nothing'],
  ])('refuses %s in place of a definition', (_, value, got) => {
    expect(validateDefinition(value)).toEqual({ definition: [`must be an object with steps and edges, ${got}`] });
    expect(isValidDefinition(value)).toBe(false);
  });

  it('requires steps and edges', () => {
    expect(validateDefinition({})).toEqual({ steps: ['is required'], edges: ['is required'] });
  });

  it('refuses steps and edges that are not arrays', () => {
    expect(validateDefinition({ steps: { trigger: {} }, edges: 'trigger->map' })).toEqual({
      steps: ['must be an array'],
      edges: ['must be an array'],
    });
  });

  it('refuses unknown top-level fields by name', () => {
    const errors = validateDefinition({ ...journeyDefinition(), version: 2, Steps: [] });
    expect(errors).toEqual({ version: ['unknown field "version"'], Steps: ['unknown field "Steps"'] });
  });

  it('keeps a field named __proto__ as an ordinary error entry', () => {
    const errors = validateDefinition(JSON.parse('{"__proto__": {"x": 1}, "steps": [], "edges": []}'));
    expect(Object.hasOwn(errors, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(errors, '__proto__')?.value).toEqual(['unknown field "__proto__"']);
    expect(Object.getPrototypeOf(errors)).toBe(Object.prototype);
  });

  it('refuses a format other than json, xml, csv and text', () => {
    expect(validateDefinition(journeyWith((d) => Object.assign(d, { format: 'yaml' })))).toEqual({
      format: ['must be one of json, xml, csv, text'],
    });
  });

  it('refuses variables that are not an object of strings', () => {
    expect(validateDefinition({ ...chain(), variables: ['a'] })).toEqual({ variables: ['must be an object'] });
    expect(validateDefinition({ ...chain(), variables: { retries: 3, url: null } })).toEqual({
      'variables.retries': ['must be a string'],
      'variables.url': ['must be a string'],
    });
  });

  it('refuses variable names a template could not name, with the name in brackets in the path', () => {
    const errors = validateDefinition({ ...chain(), variables: { 'crm url': 'x', 'a.b': 'y', ok_name: 'z', ['v'.repeat(65)]: 'w' } });
    expect(Object.keys(errors).sort()).toEqual([`variables.${'v'.repeat(65)}`, 'variables["a.b"]', 'variables["crm url"]']);
    expect(errors['variables["crm url"]']).toEqual([
      'variable names must be 1-64 characters of letters, digits, "_" and "-", got "crm url"',
    ]);
  });

  it('refuses steps that are not objects, at their index', () => {
    const definition = { ...chain('a'), steps: [...chain('a').steps, null, 'step', [], 7] };
    const errors = validateDefinition(definition);
    for (const index of [2, 3, 4, 5]) expect(errors[`steps[${index}]`]).toEqual(['must be an object']);
  });

  it('refuses unknown step fields and a malformed position', () => {
    const errors = validateDefinition(journeyWith((d) => Object.assign(stepAt(d, 1), { colour: 'red', position: { x: '10', z: 1 } })));
    expect(errors).toEqual({
      'steps[1].colour': ['unknown field "colour"'],
      'steps[1].position.y': ['is required'],
      'steps[1].position.z': ['unknown field "z"'],
      'steps[1].position.x': ['must be a number'],
    });
  });

  it('accepts a step position for the canvas', () => {
    expect(validateDefinition(journeyWith((d) => Object.assign(stepAt(d, 1), { position: { x: 120, y: -40.5 } })))).toEqual({});
  });

  it('requires each step to have a config object', () => {
    const errors = validateDefinition({
      steps: [
        { id: 'trigger', shape: 'trigger' },
        { id: 'a', shape: 'manual_payload', config: ['body'] },
      ],
      edges: [{ from: 'trigger', to: 'a' }],
    });
    expect(errors).toEqual({ 'steps[0].config': ['is required'], 'steps[1].config': ['must be an object'] });
  });

  it('refuses edges that are not objects or lack their ends', () => {
    const definition = { ...chain('a'), edges: [...chain('a').edges, null, { from: 'trigger' }, { from: 'trigger', to: 3 }] };
    expect(validateDefinition(definition)).toEqual({
      'edges[1]': ['must be an object'],
      'edges[2].to': ['is required'],
      'edges[3].to': ['must be a string'],
    });
  });

  it('refuses unknown edge fields and empty labels', () => {
    const definition = chain('a');
    definition.edges[0] = Object.assign({ from: 'trigger', to: 'a', label: '' }, { when: 'always' });
    expect(validateDefinition(definition)).toEqual({
      'edges[0].when': ['unknown field "when"'],
      'edges[0].label': ['must not be empty', 'is not allowed: only edges out of route, branch and try_catch steps carry a label'],
    });
  });
});

describe('validateDefinition on step ids', () => {
  it.each([
    ['empty', ''],
    ['with a space', 'send order'],
    ['with a dot', 'send.order'],
    ['with a bracket', 'send[0]'],
    ['longer than 64 characters', 'x'.repeat(65)],
  ])('refuses an id that is %s', (_, id) => {
    const definition = chain('a');
    stepAt(definition, 1).id = id;
    expect(validateDefinition(definition)['steps[1].id']).toEqual(['must be 1-64 characters of letters, digits, "_" and "-"']);
  });

  it('accepts ids of letters, digits, "_" and "-" up to 64 characters', () => {
    const id = `Send_order-2${'x'.repeat(52)}`;
    expect(id).toHaveLength(64);
    expect(validateDefinition(chain(id))).toEqual({});
  });

  it('refuses an id that is not a string', () => {
    const definition = chain('a');
    Object.assign(stepAt(definition, 1), { id: 7 });
    expect(validateDefinition(definition)['steps[1].id']).toEqual(['must be a string']);
  });

  it('reports a duplicate id at the later step, naming the first', () => {
    const definition = chain('a', 'b');
    stepAt(definition, 2).id = 'a';
    definition.edges = [{ from: 'trigger', to: 'a' }];
    expect(validateDefinition(definition)).toEqual({ 'steps[2].id': ['duplicate step id "a"; steps[1] has it already'] });
  });
});

/** Every built shape, as the message lists them; it grows with each shape added. */
const KNOWN_SHAPES = Object.keys(SHAPE_CONFIG_SCHEMAS).sort().join(', ');

describe('validateDefinition on shapes and their configs', () => {
  it('refuses an unknown shape, listing the known ones and the likely one meant', () => {
    const definition = chain('a');
    stepAt(definition, 1).shape = 'manual_paylod';
    expect(validateDefinition(definition)).toEqual({
      'steps[1].shape': [`unknown shape "manual_paylod" (did you mean "manual_payload"?); known shapes: ${KNOWN_SHAPES}`],
    });
  });

  it('refuses a shape that does not exist, such as teleport', () => {
    const definition = chain('a');
    stepAt(definition, 1).shape = 'teleport';
    expect(validateDefinition(definition)['steps[1].shape']).toEqual([`unknown shape "teleport"; known shapes: ${KNOWN_SHAPES}`]);
  });

  it('refuses a shape that is not a string', () => {
    const definition = chain('a');
    Object.assign(stepAt(definition, 1), { shape: ['map'] });
    expect(validateDefinition(definition)).toEqual({ 'steps[1].shape': ['must be a string'] });
  });

  it('checks shapes and configs against the knownShapes given instead of the built-in ones', () => {
    const knownShapes = { trigger: Type.Object({}), shout: Type.Object({ text: Type.String() }, { additionalProperties: false }) };
    const definition = {
      steps: [step('trigger', 'trigger'), step('a', 'shout', { text: 1 }), step('b', 'map')],
      edges: chain('a', 'b').edges,
    };
    expect(validateDefinition(definition, { knownShapes })).toEqual({
      'steps[1].config.text': ['must be a string'],
      'steps[2].shape': ['unknown shape "map"; known shapes: shout, trigger'],
    });
  });

  it('reports a setting of the wrong type', () => {
    const errors = validateDefinition(journeyWith((d) => Object.assign(stepAt(d, 2).config, { timeout_seconds: '30' })));
    expect(errors).toEqual({ 'steps[2].config.timeout_seconds': ['must be an integer'] });
  });

  it('reports a missing setting as required, once', () => {
    const definition = chain('a');
    stepAt(definition, 1).config = { format: 'json' };
    expect(validateDefinition(definition)).toEqual({ 'steps[1].config.body': ['is required'] });
  });

  it('reports an unknown setting by name', () => {
    const errors = validateDefinition(journeyWith((d) => Object.assign(stepAt(d, 1).config, { foo: true })));
    expect(errors).toEqual({ 'steps[1].config.foo': ['unknown field "foo"'] });
  });

  it('lists the allowed values of a setting with a fixed set', () => {
    const errors = validateDefinition(
      journeyWith((d) => Object.assign(stepAt(d, 2).config, { request: { method: 'FETCH', url: 'https://x.test' } })),
    );
    expect(errors).toEqual({ 'steps[2].config.request.method': ['must be one of GET, POST, PUT, PATCH, DELETE, HEAD'] });
  });

  it('reports a number out of range with the bound', () => {
    const errors = validateDefinition(journeyWith((d) => Object.assign(stepAt(d, 2).config, { retries: 5 })));
    expect(errors).toEqual({ 'steps[2].config.retries': ['must be at most 2'] });
  });

  it('names nested settings by index and key, as steps[1].config.rules[0].target', () => {
    const errors = validateDefinition(
      journeyWith((d) => {
        const rules = stepAt(d, 1).config.rules as Record<string, unknown>[];
        Object.assign(rules[2] as object, { target: '' });
      }),
    );
    expect(errors).toEqual({ 'steps[1].config.rules[2].target': ['must not be empty'] });
  });

  it('uses the schema message written for a setting, such as a cron with seconds', () => {
    const errors = validateDefinition(journeyWith((d) => Object.assign(stepAt(d, 0).config, { schedules: ['0 0 6 * * *'] })));
    expect(errors['steps[0].config.schedules[0]']?.[0]).toMatch(/^must be a cron expression of 5 fields/);
  });

  it('reports every broken setting of every step in one answer', () => {
    const definition = journeyWith((d) => {
      Object.assign(stepAt(d, 0).config, { schedules: 'daily' });
      Object.assign(stepAt(d, 1).config, { rules: [] });
      Object.assign(stepAt(d, 2).config, { retries: -1, wrapping: 'all' });
    });
    expect(validateDefinition(definition)).toEqual({
      'steps[0].config.schedules': ['must be an array'],
      'steps[1].config.rules': ['must not be empty'],
      'steps[2].config.retries': ['must be at least 0'],
      'steps[2].config.wrapping': ['must be one of raw, first'],
    });
  });
});

describe('validateDefinition on map transforms', () => {
  it('refuses an unknown transform at its fn, suggesting the likely one', () => {
    const definition = journeyWith((d) => {
      const rules = stepAt(d, 1).config.rules as { transforms?: { fn: string }[] }[];
      (rules[2]?.transforms?.[1] as { fn: string }).fn = 'trimm';
    });
    const errors = validateDefinition(definition);
    expect(Object.keys(errors)).toEqual(['steps[1].config.rules[2].transforms[1].fn']);
    expect(errors['steps[1].config.rules[2].transforms[1].fn']?.[0]).toMatch(
      /^unknown transform "trimm" \(did you mean "trim"\?\); known transforms: uppercase, /,
    );
  });

  it('still reports an unknown transform when another setting of the map is broken', () => {
    const definition = journeyWith((d) => {
      Object.assign(stepAt(d, 1).config, { wrap_output: 3 });
      const rules = stepAt(d, 1).config.rules as { transforms?: { fn: string }[] }[];
      (rules[1]?.transforms?.[0] as { fn: string }).fn = 'glue';
    });
    const errors = validateDefinition(definition);
    expect(errors['steps[1].config.wrap_output']).toEqual(['must be a string']);
    expect(errors['steps[1].config.rules[1].transforms[0].fn']?.[0]).toMatch(/^unknown transform "glue"; known transforms: /);
  });

  it('reports the rule problems the map schema cannot express, such as source and sources together', () => {
    const definition = journeyWith((d) => {
      const rules = stepAt(d, 1).config.rules as Record<string, unknown>[];
      Object.assign(rules[1] as object, { source: '*.id' });
    });
    expect(Object.keys(validateDefinition(definition))).toEqual(['steps[1].config.rules[1]']);
  });
});

describe('validateDefinition on connector URLs', () => {
  it('refuses a literal URL that is not absolute http(s)', () => {
    const errors = validateDefinition(
      journeyWith((d) => Object.assign(stepAt(d, 2).config, { request: { method: 'GET', url: 'example.com/customers' } })),
    );
    expect(errors).toEqual({ 'steps[2].config.request.url': ['must be an absolute http(s) URL, got "example.com/customers"'] });
  });

  it('leaves a URL built from templates to be judged when the run renders it', () => {
    const definition = journeyWith((d) =>
      Object.assign(stepAt(d, 2).config, { request: { method: 'GET', url: '[[flow.crm_url]]/[[payload.id]]' } }),
    );
    expect(validateDefinition(definition)).toEqual({});
  });

  it('still refuses a literal scheme other than http(s) in front of a template', () => {
    const definition = journeyWith((d) =>
      Object.assign(stepAt(d, 2).config, { request: { method: 'GET', url: 'ftp://[[flow.crm_url]]' } }),
    );
    expect(Object.keys(validateDefinition(definition))).toEqual(['steps[2].config.request.url']);
  });
});

describe('validateDefinition on templates', () => {
  it('refuses a flow variable that is not declared, at the setting that uses it, naming it', () => {
    const definition = journeyWith((d) => {
      d.variables = { crm_uri: 'http://crm.test' };
    });
    expect(validateDefinition(definition)).toEqual({
      'steps[2].config.request.url': [
        '"[[flow.crm_url]]" refers to variable "crm_url", which is not declared in variables (did you mean "crm_uri"?); declared: crm_uri',
      ],
    });
  });

  it('says when no variables are declared at all', () => {
    const definition = journeyWith((d) => {
      delete d.variables;
    });
    expect(validateDefinition(definition)['steps[2].config.request.url']?.[0]).toMatch(
      /not declared in variables; no variables are declared$/,
    );
  });

  it('accepts payload paths, meta keys, declared variables and the run fields', () => {
    const definition = journeyWith((d) => {
      stepAt(d, 2).config.request = {
        method: 'POST',
        url: 'https://crm.test/[[payload.*.id]]?q=[[ payload.customer.name ]]',
        headers: { 'X-Run': '[[run.id]] at [[run.queued_at]]', 'X-Tenant': '[[meta.tenant]]', 'X-Base': '[[flow.crm_url]]' },
        body: '[[payload]]',
      };
    });
    expect(validateDefinition(definition)).toEqual({});
  });

  it('refuses an unknown template root, suggesting the likely one', () => {
    const definition = journeyWith((d) => Object.assign(stepAt(d, 2).config.request as object, { body: '{"id": "[[paylod.id]]"}' }));
    expect(validateDefinition(definition)).toEqual({
      'steps[2].config.request.body': [
        '"[[paylod.id]]" starts with unknown root "paylod" (did you mean "payload"?); templates start with payload, meta, flow, run',
      ],
    });
  });

  it('refuses run fields other than id and queued_at', () => {
    const definition = journeyWith((d) => Object.assign(stepAt(d, 2).config.request as object, { body: '[[run.started_at]]' }));
    expect(validateDefinition(definition)).toEqual({
      'steps[2].config.request.body': ['"[[run.started_at]]" refers to an unknown run field; use [[run.id]] or [[run.queued_at]]'],
    });
  });

  it('refuses bare meta, flow and run templates that name nothing', () => {
    const definition = journeyWith((d) => Object.assign(stepAt(d, 2).config.request as object, { body: '[[meta]] [[flow]] [[run]]' }));
    expect(validateDefinition(definition)['steps[2].config.request.body']).toEqual([
      '"[[meta]]" needs a meta key, as in [[meta.key]]',
      '"[[flow]]" needs a variable name, as in [[flow.name]]',
      '"[[run]]" refers to an unknown run field; use [[run.id]] or [[run.queued_at]]',
    ]);
  });

  it('checks templates inside nested settings, with bracketed keys in the path', () => {
    const definition = journeyWith((d) =>
      Object.assign(stepAt(d, 2).config.request as object, { headers: { 'X-Token': '[[flow.token]]' } }),
    );
    expect(Object.keys(validateDefinition(definition))).toEqual(['steps[2].config.request.headers["X-Token"]']);
  });

  it('checks templates in every string setting, whatever the shape', () => {
    const definition = journeyWith((d) => {
      const rules = stepAt(d, 1).config.rules as Record<string, unknown>[];
      Object.assign(rules[1] as object, { transforms: [{ fn: 'template', args: { template: 'Dear [[flow.salutation]]' } }] });
    });
    expect(Object.keys(validateDefinition(definition))).toEqual(['steps[1].config.rules[1].transforms[0].args.template']);
  });

  it('takes nested JSON arrays in a document for data, not templates', () => {
    const definition = chain('a');
    stepAt(definition, 1).config = { body: '{"grid": [[1,2],[3,4]], "names": [["a"]], "none": [[]], "nulls": [[null]]}', format: 'json' };
    expect(validateDefinition(definition)).toEqual({});
  });
});

describe('validateDefinition on the graph', () => {
  it('requires a trigger step', () => {
    const definition = { steps: [step('a', 'manual_payload', { body: '', format: 'text' })], edges: [] };
    expect(validateDefinition(definition)).toEqual({
      steps: ['must contain one step of shape trigger, the start of the flow; found none'],
      'steps[0]': ['step "a" has no incoming edge; only the trigger starts the flow, every other step needs a predecessor'],
    });
  });

  it('requires a trigger step even when there are no steps', () => {
    expect(validateDefinition({ steps: [], edges: [] })).toEqual({
      steps: ['must contain one step of shape trigger, the start of the flow; found none'],
    });
  });

  it('refuses a second trigger step', () => {
    const definition = chain('a');
    definition.steps.push(step('again', 'trigger'));
    definition.edges.push({ from: 'a', to: 'again' });
    expect(validateDefinition(definition)).toEqual({ 'steps[2].shape': ['a flow has exactly one trigger step; steps[0] is already one'] });
  });

  it('refuses an edge into the trigger', () => {
    const definition = chain('a');
    definition.edges.push({ from: 'a', to: 'trigger' });
    expect(validateDefinition(definition)).toEqual({
      'edges[1].to': ['points to the trigger step "trigger"; the trigger starts the flow and has no incoming edges'],
    });
  });

  it('refuses a step other than the trigger without incoming edges', () => {
    const definition = chain('a', 'b');
    definition.edges.pop();
    expect(validateDefinition(definition)).toEqual({
      'steps[2]': ['step "b" has no incoming edge; only the trigger starts the flow, every other step needs a predecessor'],
    });
  });

  it('refuses edges from or to steps that do not exist', () => {
    const definition = chain('a');
    definition.edges.push({ from: 'ghost', to: 'a' }, { from: 'a', to: 'nowhere' });
    expect(validateDefinition(definition)).toEqual({
      'edges[1].from': ['refers to unknown step "ghost"'],
      'edges[2].to': ['refers to unknown step "nowhere"'],
    });
  });

  it('refuses a duplicate edge, naming the first', () => {
    const definition = chain('a');
    definition.edges.push({ from: 'trigger', to: 'a' });
    expect(validateDefinition(definition)).toEqual({ 'edges[1]': ['duplicates edges[0] ("trigger" → "a")'] });
  });

  it('refuses a self loop', () => {
    const definition = chain('a');
    definition.edges.push({ from: 'a', to: 'a' });
    expect(validateDefinition(definition)).toEqual({ 'edges[1].to': ['points back to its own step "a"; a step cannot feed itself'] });
  });

  it('refuses a cycle, naming its steps in order at the edge that closes it', () => {
    const definition = chain('a', 'b', 'c');
    definition.edges.push({ from: 'c', to: 'a' });
    expect(validateDefinition(definition)).toEqual({
      'edges[3]': ['closes a cycle: "a" → "b" → "c" → "a"; a flow must not loop back to an earlier step'],
    });
  });

  it('refuses a cycle that the trigger cannot reach, and its steps as unreachable', () => {
    const definition = chain('a');
    definition.steps.push(
      step('x', 'manual_payload', { body: '', format: 'text' }),
      step('y', 'manual_payload', { body: '', format: 'text' }),
    );
    definition.edges.push({ from: 'x', to: 'y' }, { from: 'y', to: 'x' });
    expect(validateDefinition(definition)).toEqual({
      'steps[2]': ['step "x" is not reachable from the trigger'],
      'steps[3]': ['step "y" is not reachable from the trigger'],
      'edges[2]': ['closes a cycle: "x" → "y" → "x"; a flow must not loop back to an earlier step'],
    });
  });

  it('refuses steps hanging off a step that nothing feeds', () => {
    const definition = chain('a');
    definition.steps.push(
      step('orphan', 'manual_payload', { body: '', format: 'text' }),
      step('child', 'manual_payload', { body: '', format: 'text' }),
    );
    definition.edges.push({ from: 'orphan', to: 'child' });
    expect(validateDefinition(definition)).toEqual({
      'steps[2]': ['step "orphan" has no incoming edge; only the trigger starts the flow, every other step needs a predecessor'],
      'steps[3]': ['step "child" is not reachable from the trigger'],
    });
  });

  it('accepts a diamond, where two paths join again', () => {
    const definition = chain('a', 'b', 'c');
    definition.edges.push({ from: 'a', to: 'c' });
    expect(validateDefinition(definition)).toEqual({});
  });

  it('refuses a label on an edge out of a shape whose edges carry none', () => {
    const definition = chain('a');
    definition.edges[0] = { from: 'trigger', to: 'a', label: 'yes' };
    expect(validateDefinition(definition)).toEqual({
      'edges[0].label': ['is not allowed: only edges out of route, branch and try_catch steps carry a label'],
    });
  });

  it('requires a label on edges out of a route step, listing the routes', () => {
    const definition = {
      steps: [
        step('trigger', 'trigger'),
        step('r', 'route', { routes: [{ label: 'uk' }, { label: 'eu' }] }),
        step('a', 'manual_payload', { body: '', format: 'text' }),
      ],
      edges: [
        { from: 'trigger', to: 'r' },
        { from: 'r', to: 'a' },
      ],
    };
    expect(validateDefinition(definition, withFlowControlShapes)).toEqual({
      'edges[1].label': ['is required: edges out of route step "r" name the route they take (one of uk, eu)'],
    });
  });

  it('refuses a route label that is not one of the step routes', () => {
    const definition = {
      steps: [
        step('trigger', 'trigger'),
        step('r', 'route', { routes: [{ label: 'uk' }] }),
        step('a', 'manual_payload', { body: '', format: 'text' }),
      ],
      edges: [
        { from: 'trigger', to: 'r' },
        { from: 'r', to: 'a', label: 'us' },
      ],
    };
    expect(validateDefinition(definition, withFlowControlShapes)).toEqual({
      'edges[1].label': ['must be one of uk: the routes of route step "r"'],
    });
  });

  it('accepts labelled edges out of route, branch and try_catch steps', () => {
    const payload = { body: '', format: 'text' };
    const definition = {
      steps: [
        step('trigger', 'trigger'),
        step('guard', 'try_catch'),
        step('r', 'route', { routes: [{ label: 'uk' }, { label: 'eu' }] }),
        step('fallback', 'manual_payload', payload),
        step('b', 'branch', { branches: [{ label: 'first' }, { label: 'second' }] }),
        step('uk', 'manual_payload', payload),
        step('one', 'manual_payload', payload),
        step('two', 'manual_payload', payload),
      ],
      edges: [
        { from: 'trigger', to: 'guard' },
        { from: 'guard', to: 'r', label: 'try' },
        { from: 'guard', to: 'fallback', label: 'catch' },
        { from: 'r', to: 'uk', label: 'uk' },
        { from: 'r', to: 'b', label: 'eu' },
        { from: 'b', to: 'one', label: 'first' },
        { from: 'b', to: 'two', label: 'second' },
      ],
    };
    expect(validateDefinition(definition, withFlowControlShapes)).toEqual({});
  });

  it('allows two routes of one step to lead to the same step', () => {
    const payload = { body: '', format: 'text' };
    const definition = {
      steps: [
        step('trigger', 'trigger'),
        step('r', 'route', { routes: [{ label: 'uk' }, { label: 'eu' }] }),
        step('a', 'manual_payload', payload),
      ],
      edges: [
        { from: 'trigger', to: 'r' },
        { from: 'r', to: 'a', label: 'uk' },
        { from: 'r', to: 'a', label: 'eu' },
      ],
    };
    expect(validateDefinition(definition, withFlowControlShapes)).toEqual({});
  });

  it('refuses try_catch labels other than try and catch', () => {
    const definition = {
      steps: [step('trigger', 'trigger'), step('guard', 'try_catch'), step('a', 'manual_payload', { body: '', format: 'text' })],
      edges: [
        { from: 'trigger', to: 'guard' },
        { from: 'guard', to: 'a', label: 'finally' },
      ],
    };
    expect(validateDefinition(definition, withFlowControlShapes)).toEqual({
      'edges[1].label': ['must be one of try, catch: the paths of try_catch step "guard"'],
    });
  });

  it('refuses a second try_catch step', () => {
    const definition = {
      steps: [step('trigger', 'trigger'), step('t1', 'try_catch'), step('t2', 'try_catch')],
      edges: [
        { from: 'trigger', to: 't1' },
        { from: 't1', to: 't2', label: 'try' },
      ],
    };
    expect(validateDefinition(definition, withFlowControlShapes)).toEqual({
      'steps[2].shape': ['a flow has at most one try_catch step; steps[1] is already one'],
    });
  });

  it('reports every graph problem in one answer', () => {
    const definition = chain('a', 'b', 'c');
    definition.edges.push(
      { from: 'c', to: 'b' },
      { from: 'a', to: 'a' },
      { from: 'a', to: 'zz' },
      { from: 'a', to: 'trigger' },
      { from: 'a', to: 'b' },
    );
    expect(Object.keys(validateDefinition(definition)).sort()).toEqual([
      'edges[3]',
      'edges[4].to',
      'edges[5].to',
      'edges[6].to',
      'edges[7]',
    ]);
  });
});

describe('validateDefinition at scale', () => {
  it('validates a chain of 5 000 steps quickly', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `s${i}`);
    const started = performance.now();
    expect(validateDefinition(chain(...ids))).toEqual({});
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('names a cycle through thousands of steps without listing them all', () => {
    const ids = Array.from({ length: 3_000 }, (_, i) => `s${i}`);
    const definition = chain(...ids);
    definition.edges.push({ from: 's2999', to: 's0' });
    const message = validateDefinition(definition)['edges[3000]']?.[0] ?? '';
    expect(message).toMatch(/^closes a cycle: "s0" → "s1" → .* → … → "s2999" → "s0" \(3000 steps\)/);
    expect(message.length).toBeLessThan(300);
  });

  it('reports a problem for each of 2 000 broken steps', () => {
    const definition = chain(...Array.from({ length: 2_000 }, (_, i) => `s${i}`));
    for (const s of definition.steps.slice(1)) s.config = { body: 1, format: 'json' };
    const errors = validateDefinition(definition);
    expect(Object.keys(errors)).toHaveLength(2_000);
    expect(errors['steps[2000].config.body']).toEqual(['must be a string']);
  });
});

describe('DefinitionSchema', () => {
  it('describes the outline of a definition for route documentation', () => {
    expect(DefinitionSchema.type).toBe('object');
    expect(DefinitionSchema.required).toEqual(['steps', 'edges']);
    expect(DefinitionSchema.additionalProperties).toBe(false);
  });
});
