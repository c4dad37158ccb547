import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';

export const RUN_FLOW_OUTPUTS = ['payloads', 'statuses'] as const;
export const RUN_FLOW_ON_CHILD_FAILURE = ['fail', 'partial'] as const;
/** Longest wait for children; under the 24 h life of the idempotency keys that keep children unique. */
export const RUN_FLOW_WAIT_MAX_SECONDS = 6 * 60 * 60;
export const RUN_FLOW_WAIT_DEFAULT_SECONDS = 60 * 60;
/** Children one step may start (one per payload). */
export const RUN_FLOW_MAX_CHILDREN = 1000;

/** Config of the `run_flow` shape: one child run of another flow per payload. */
export const RunFlowConfigSchema = Type.Object(
  {
    flow: Type.String({ minLength: 1, maxLength: 200, description: 'The flow to start: its id, or its exact name.' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'A version number of that flow; default its deployed version.' })),
    wait: Type.Optional(
      Type.Boolean({
        default: false,
        description: '`true`: the step completes when every child has finished; `false`: fire and forget.',
      }),
    ),
    wait_timeout_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: RUN_FLOW_WAIT_MAX_SECONDS,
        description: `With wait: how long to wait for the children (default ${RUN_FLOW_WAIT_DEFAULT_SECONDS}).`,
      }),
    ),
    output: Type.Optional(
      Type.Union(
        RUN_FLOW_OUTPUTS.map((o) => Type.Literal(o)),
        { description: "With wait: `payloads` (the children's final payloads, default) or `statuses` (one JSON payload per child)." },
      ),
    ),
    on_child_failure: Type.Optional(
      Type.Union(
        RUN_FLOW_ON_CHILD_FAILURE.map((o) => Type.Literal(o)),
        { description: 'With wait: `fail` (default) fails the step when a child fails or stops; `partial` goes on with the others.' },
      ),
    ),
  },
  { additionalProperties: false },
);

export type RunFlowConfig = Static<typeof RunFlowConfigSchema>;

export function runFlowConfigProblems(config: RunFlowConfig): ConfigProblem[] {
  if (config.wait === true) return [];
  const problems: ConfigProblem[] = [];
  for (const key of ['wait_timeout_seconds', 'output', 'on_child_failure'] as const) {
    if (config[key] !== undefined) problems.push({ path: key, message: 'is only used with "wait": true; remove it or set wait to true' });
  }
  return problems;
}

/**
 * run_flow steps that start the flow the definition belongs to (by id or name): the one cycle a
 * definition shows by itself. Paths are relative to the definition (`steps[2].config.flow`).
 */
export function runFlowSelfReferences(definition: unknown, flow: { id: string; name: string }): ConfigProblem[] {
  const steps = (definition as { steps?: unknown })?.steps;
  if (!Array.isArray(steps)) return [];
  const problems: ConfigProblem[] = [];
  steps.forEach((step: unknown, index) => {
    if (typeof step !== 'object' || step === null) return;
    const { shape, config } = step as { shape?: unknown; config?: { flow?: unknown } };
    if (shape !== 'run_flow' || typeof config?.flow !== 'string') return;
    if (config.flow === flow.id || config.flow === flow.name) {
      problems.push({
        path: `steps[${index}].config.flow`,
        message: `starts this flow itself ("${config.flow}"); a flow may not run itself`,
      });
    }
  });
  return problems;
}
