import { Type } from '@sinclair/typebox';
import { PAYLOAD_FORMATS } from '../flow.js';

/** Step ids and variable names: safe in URLs, log lines and `[[flow.name]]` templates. */
export const NAME_PATTERN = '^[A-Za-z0-9_-]+$';
export const NAME_MAX_LENGTH = 64;
const NAME_RULE = `must be 1-${NAME_MAX_LENGTH} characters of letters, digits, "_" and "-"`;

export const StepIdSchema = Type.String({
  minLength: 1,
  maxLength: NAME_MAX_LENGTH,
  pattern: NAME_PATTERN,
  errorMessage: NAME_RULE,
  description: 'Unique within the version.',
});

export const StepSchema = Type.Object(
  {
    id: StepIdSchema,
    shape: Type.String({ description: 'The kind of step: trigger, map, connector, …' }),
    name: Type.Optional(Type.String({ description: 'Shown on the canvas and in run logs.' })),
    config: Type.Object({}, { additionalProperties: true, description: "Settings, checked against the shape's own schema." }),
    position: Type.Optional(
      Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false, description: 'Where the canvas draws the step.' }),
    ),
  },
  { additionalProperties: false },
);

export const EdgeSchema = Type.Object(
  {
    from: Type.String({ description: 'Id of the step the bucket leaves.' }),
    to: Type.String({ description: 'Id of the step the bucket enters.' }),
    label: Type.Optional(
      Type.String({ minLength: 1, description: 'Route, branch or path name; only on edges out of route, branch and try_catch.' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The outline of a flow definition (spec/flows.md §1), for route schemas and the OpenAPI document.
 * It leaves step configs open; validateDefinition checks those, the graph and templates.
 */
export const DefinitionSchema = Type.Object(
  {
    format: Type.Optional(
      Type.Union(
        PAYLOAD_FORMATS.map((format) => Type.Literal(format)),
        { description: 'Format of the payload handed to the trigger.' },
      ),
    ),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Flow variables, name → value; `[[flow.name]]` in settings.' }),
    ),
    steps: Type.Array(StepSchema),
    edges: Type.Array(EdgeSchema),
  },
  { additionalProperties: false, description: "A flow version's definition: a directed acyclic graph of steps." },
);
