import { type AssertConfig, assertConfigProblems } from '../shapes/assert.js';
import { type BranchConfig, branchConfigProblems } from '../shapes/branch.js';
import { type CacheLoadConfig, cacheLoadConfigProblems } from '../shapes/cache-load.js';
import type { ConfigProblem } from '../shapes/conditions.js';
import { checkConnectorUrl, connectorConfigProblems } from '../shapes/connector.js';
import { triggerConfigProblems } from '../shapes/cron.js';
import { type DedupeConfig, dedupeConfigProblems } from '../shapes/dedupe.js';
import { type FilterConfig, filterConfigProblems } from '../shapes/filter.js';
import { type FlowControlConfig, flowControlConfigProblems } from '../shapes/flow-control.js';
import { type MapConfig, mapConfigProblems } from '../shapes/map.js';
import { type NotifyConfig, notifyConfigProblems } from '../shapes/notify.js';
import { type RouteConfig, routeConfigProblems } from '../shapes/route.js';
import { type RunFlowConfig, runFlowConfigProblems } from '../shapes/run-flow.js';
import { type SetVariablesConfig, setVariablesConfigProblems } from '../shapes/set-variables.js';
import { type SplitConfig, splitConfigProblems } from '../shapes/split.js';
import { type TrackDataConfig, trackDataConfigProblems } from '../shapes/track-data.js';
import { isTransformName, TRANSFORM_NAMES } from '../shapes/transform-names.js';
import type { TriggerConfig } from '../shapes/trigger.js';
import { childPath, isPlainObject, unknownName } from './field-path.js';

/** What a shape's own check sees of one step's config. */
export interface ShapeCheckContext {
  config: Record<string, unknown>;
  /** `steps[1].config`. */
  path: string;
  /**
   * Reports a problem. It replaces the config schema's message at the same path, so a check can
   * say more than the schema (which transform names exist) without saying it twice.
   */
  report(path: string, message: string): void;
  hasSchemaProblem(path: string): boolean;
  /** Whether the config satisfied its schema, so it has the schema's static type. */
  schemaValid: boolean;
}

/** Checks a config schema cannot express; run after the schema, on configs that are objects. */
export type ShapeCheck = (context: ShapeCheckContext) => void;

function checkMap({ config, path, report, schemaValid }: ShapeCheckContext): void {
  if (schemaValid) {
    // Relative paths start with `rules[`, so joining with a dot gives the full field path.
    for (const problem of mapConfigProblems(config as MapConfig)) report(`${path}.${problem.path}`, problem.message);
    return;
  }
  // mapConfigProblems needs a config of the schema's type; when some other setting is broken the
  // transform names are still worth reporting in the same answer.
  const rules = config.rules;
  if (!Array.isArray(rules)) return;
  rules.forEach((rule, ruleIndex) => {
    if (!isPlainObject(rule) || !Array.isArray(rule.transforms)) return;
    const rulePath = childPath(childPath(path, 'rules'), ruleIndex);
    rule.transforms.forEach((transform, transformIndex) => {
      if (!isPlainObject(transform) || typeof transform.fn !== 'string' || isTransformName(transform.fn)) return;
      const fnPath = childPath(childPath(childPath(rulePath, 'transforms'), transformIndex), 'fn');
      report(fnPath, unknownName('transform', transform.fn, TRANSFORM_NAMES));
    });
  });
}

function checkConnector({ config, path, report, hasSchemaProblem }: ShapeCheckContext): void {
  for (const problem of connectorConfigProblems(config)) report(`${path}.${problem.path}`, problem.message);
  const request = config.request;
  if (!isPlainObject(request) || typeof request.url !== 'string') return;
  const urlPath = childPath(childPath(path, 'request'), 'url');
  if (hasSchemaProblem(urlPath)) return;
  // checkConnectorUrl judges a templated URL by what is literal before the first template only.
  const problem = checkConnectorUrl(request.url);
  if (problem !== undefined) report(urlPath, problem);
}

/**
 * A check over a config that satisfied its schema; the problems' paths are relative to the
 * config and start with a key (`conditions[0].value`), so a dot joins them to the config's path.
 */
function afterSchema<C>(problemsOf: (config: C) => ConfigProblem[]): ShapeCheck {
  return ({ config, path, report, schemaValid }) => {
    if (!schemaValid) return;
    for (const problem of problemsOf(config as C)) report(`${path}.${problem.path}`, problem.message);
  };
}

export const SHAPE_CHECKS: Readonly<Record<string, ShapeCheck>> = {
  map: checkMap,
  connector: checkConnector,
  filter: afterSchema<FilterConfig>(filterConfigProblems),
  route: afterSchema<RouteConfig>(routeConfigProblems),
  branch: afterSchema<BranchConfig>(branchConfigProblems),
  flow_control: afterSchema<FlowControlConfig>(flowControlConfigProblems),
  split: afterSchema<SplitConfig>(splitConfigProblems),
  set_variables: afterSchema<SetVariablesConfig>(setVariablesConfigProblems),
  assert: afterSchema<AssertConfig>(assertConfigProblems),
  notify: afterSchema<NotifyConfig>(notifyConfigProblems),
  run_flow: afterSchema<RunFlowConfig>(runFlowConfigProblems),
  cache_load: afterSchema<CacheLoadConfig>(cacheLoadConfigProblems),
  dedupe: afterSchema<DedupeConfig>(dedupeConfigProblems),
  track_data: afterSchema<TrackDataConfig>(trackDataConfigProblems),
  trigger: afterSchema<TriggerConfig>(triggerConfigProblems),
};
