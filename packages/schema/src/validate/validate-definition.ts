import type { TSchema } from '@sinclair/typebox';
import type { FieldErrors } from '../errors.js';
import type { FlowDefinition } from '../flow.js';
import { SHAPE_CONFIG_SCHEMAS } from '../shapes/index.js';
import { variablesSetBy } from '../shapes/set-variables.js';
import { DefinitionSchema, NAME_MAX_LENGTH, NAME_PATTERN } from './definition-schema.js';
import { childPath, isPlainObject, Problems, quote, unknownName } from './field-path.js';
import { checkGraph, type GraphEdge, type GraphStep } from './graph.js';
import { schemaProblems } from './schema-errors.js';
import { SHAPE_CHECKS } from './shape-checks.js';
import { findTemplateReferences, templateReferenceProblem } from './templates.js';

export interface ValidateDefinitionOptions {
  /**
   * The shapes a step may use, each with its config schema. Defaults to SHAPE_CONFIG_SCHEMAS; the
   * engine may narrow it to the shapes it can run, tests may add shapes not built yet.
   */
  knownShapes?: Readonly<Record<string, TSchema>>;
}

/** The path used when the definition itself is not an object. */
export const DEFINITION_PATH = 'definition';

const NAME = new RegExp(NAME_PATTERN);

/**
 * Checks a flow definition (spec/flows.md §1) and returns every problem, field path → messages,
 * with paths such as `steps[2].config.rules[0].target`; an empty object means it is valid.
 * References to other objects of the company (instances, caches, flows, scripts) need the store
 * and are checked by the server, not here.
 */
export function validateDefinition(definition: unknown, options: ValidateDefinitionOptions = {}): FieldErrors {
  const problems = new Problems();
  if (!isPlainObject(definition)) {
    problems.add(DEFINITION_PATH, `must be an object with steps and edges, got ${kindOf(definition)}`);
    return problems.toFieldErrors();
  }
  for (const { path, message } of schemaProblems(DefinitionSchema, definition)) problems.add(path, message);

  const knownShapes: Readonly<Record<string, TSchema>> = options.knownShapes ?? SHAPE_CONFIG_SCHEMAS;
  const shapeNames = Object.keys(knownShapes).sort();
  const variables = checkVariables(definition.variables, problems);
  // A variable set by a set_variables step is as good as declared for the templates after it.
  if (Array.isArray(definition.steps)) {
    for (const step of definition.steps) {
      if (isPlainObject(step) && step.shape === 'set_variables') for (const name of variablesSetBy(step.config)) variables.add(name);
    }
  }

  const steps: GraphStep[] = [];
  const firstWithId = new Map<string, number>();
  if (Array.isArray(definition.steps)) {
    definition.steps.forEach((step: unknown, index) => {
      if (!isPlainObject(step)) return;
      const at = childPath('steps', index);
      const id = typeof step.id === 'string' ? step.id : undefined;
      if (id !== undefined && id !== '') {
        const first = firstWithId.get(id);
        if (first === undefined) firstWithId.set(id, index);
        else problems.add(childPath(at, 'id'), `duplicate step id ${quote(id)}; ${childPath('steps', first)} has it already`);
      }
      const shape = typeof step.shape === 'string' ? step.shape : undefined;
      if (shape !== undefined && !Object.hasOwn(knownShapes, shape)) {
        problems.add(childPath(at, 'shape'), unknownName('shape', shape, shapeNames));
      }
      if (isPlainObject(step.config)) {
        const configPath = childPath(at, 'config');
        if (shape !== undefined && Object.hasOwn(knownShapes, shape)) {
          checkConfig(shape, knownShapes[shape] as TSchema, step.config, configPath, problems);
        }
        checkTemplates(step.config, configPath, variables, problems);
      }
      steps.push({ index, id: id === '' ? undefined : id, shape, config: step.config });
    });
  }

  if (Array.isArray(definition.steps) && Array.isArray(definition.edges)) {
    const edges: GraphEdge[] = [];
    definition.edges.forEach((edge: unknown, index) => {
      if (!isPlainObject(edge) || typeof edge.from !== 'string' || typeof edge.to !== 'string') return;
      edges.push({ index, from: edge.from, to: edge.to, label: typeof edge.label === 'string' ? edge.label : undefined });
    });
    checkGraph(steps, edges, problems);
  }
  return problems.toFieldErrors();
}

/** Whether validateDefinition finds nothing wrong. */
export function isValidDefinition(definition: unknown, options?: ValidateDefinitionOptions): definition is FlowDefinition {
  return Object.keys(validateDefinition(definition, options)).length === 0;
}

/** The declared variable names; values that are not strings already have their schema error. */
function checkVariables(variables: unknown, problems: Problems): Set<string> {
  if (!isPlainObject(variables)) return new Set();
  for (const name of Object.keys(variables)) {
    if (name.length > NAME_MAX_LENGTH || !NAME.test(name)) {
      problems.add(
        childPath('variables', name),
        `variable names must be 1-${NAME_MAX_LENGTH} characters of letters, digits, "_" and "-", got ${quote(name)}`,
      );
    }
  }
  return new Set(Object.keys(variables));
}

function checkConfig(shape: string, schema: TSchema, config: Record<string, unknown>, path: string, problems: Problems): void {
  const fromSchema = new Map<string, string[]>();
  const found = schemaProblems(schema, config, path);
  for (const problem of found) {
    const messages = fromSchema.get(problem.path);
    if (messages === undefined) fromSchema.set(problem.path, [problem.message]);
    else messages.push(problem.message);
  }
  const fromCheck = new Problems();
  const shapeCheck = Object.hasOwn(SHAPE_CHECKS, shape) ? SHAPE_CHECKS[shape] : undefined;
  shapeCheck?.({
    config,
    path,
    report: (at, message) => {
      fromSchema.delete(at);
      fromCheck.add(at, message);
    },
    hasSchemaProblem: (at) => fromSchema.has(at),
    schemaValid: found.length === 0,
  });
  for (const [at, messages] of fromSchema) for (const message of messages) problems.add(at, message);
  for (const [at, messages] of Object.entries(fromCheck.toFieldErrors())) for (const message of messages) problems.add(at, message);
}

/** Every string anywhere in a config may hold templates; each bad reference is reported at its string. */
function checkTemplates(value: unknown, path: string, variables: ReadonlySet<string>, problems: Problems): void {
  if (typeof value === 'string') {
    for (const reference of findTemplateReferences(value)) {
      const problem = templateReferenceProblem(reference, variables);
      if (problem !== undefined) problems.add(path, problem);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkTemplates(item, childPath(path, index), variables, problems);
    });
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkTemplates(item, childPath(path, key), variables, problems);
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}
