import { type Static, Type } from '@sinclair/typebox';
import { ConditionSchema, type ConfigProblem, conditionProblems, LogicSchema } from './conditions.js';
import { MAX_CONDITIONS } from './filter.js';
import { pathFormProblem } from './map.js';

export const MAX_ROUTES = 50;
export const LABEL_MAX_LENGTH = 100;

export const RouteSchema = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: LABEL_MAX_LENGTH, description: 'Names the route; edges out of the step carry it.' }),
    logic: Type.Optional(LogicSchema),
    conditions: Type.Optional(Type.Array(ConditionSchema, { maxItems: MAX_CONDITIONS, description: 'None: the route takes everything.' })),
  },
  { additionalProperties: false },
);

/** Config of the `route` shape: sends each payload down the routes whose conditions hold (spec/flows.md §3). */
export const RouteConfigSchema = Type.Object(
  {
    routes: Type.Array(RouteSchema, { minItems: 1, maxItems: MAX_ROUTES }),
    method: Type.Optional(
      Type.Union([Type.Literal('all_matching'), Type.Literal('first_matching')], {
        default: 'all_matching',
        description: '`all_matching`: every route that matches; `first_matching`: only the first, in order.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type RouteConfig = Static<typeof RouteConfigSchema>;
export type RouteDefinition = Static<typeof RouteSchema>;

/** Labels named more than once, each reported at its later occurrence. */
export function duplicateLabelProblems(labels: readonly string[], at: string, noun: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const first = new Map<string, number>();
  labels.forEach((label, i) => {
    const earlier = first.get(label);
    if (earlier === undefined) first.set(label, i);
    else
      problems.push({ path: `${at}[${i}].label`, message: `duplicates the label of ${at}[${earlier}]; each ${noun} needs its own label` });
  });
  return problems;
}

export function routeConfigProblems(config: RouteConfig): ConfigProblem[] {
  const problems = duplicateLabelProblems(
    config.routes.map((r) => r.label),
    'routes',
    'route',
  );
  config.routes.forEach((route, i) => {
    problems.push(...conditionProblems(route.conditions ?? [], `routes[${i}].conditions`, pathFormProblem));
  });
  return problems;
}
