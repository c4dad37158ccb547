import type { TSchema } from '@sinclair/typebox';
import type { ShapeName } from '../flow.js';
import { AssertConfigSchema } from './assert.js';
import { BranchConfigSchema } from './branch.js';
import { CacheAddConfigSchema } from './cache-add.js';
import { CacheLoadConfigSchema } from './cache-load.js';
import { CallbackConfigSchema } from './callback.js';
import { ConnectorConfigSchema } from './connector.js';
import { DedupeConfigSchema } from './dedupe.js';
import { FilterConfigSchema } from './filter.js';
import { FlowControlConfigSchema } from './flow-control.js';
import { ManualPayloadConfigSchema } from './manual-payload.js';
import { MapConfigSchema } from './map.js';
import { NotifyConfigSchema } from './notify.js';
import { RouteConfigSchema } from './route.js';
import { RunFlowConfigSchema } from './run-flow.js';
import { ScriptConfigSchema } from './script.js';
import { SetVariablesConfigSchema } from './set-variables.js';
import { SplitConfigSchema } from './split.js';
import { TrackDataConfigSchema } from './track-data.js';
import { TriggerConfigSchema } from './trigger.js';
import { TryCatchConfigSchema } from './try-catch.js';

/**
 * The config schema of every shape built so far. Adding a shape to SHAPES in flow.ts makes this
 * table fail to compile until its schema is added here, so the two never drift apart.
 */
export const SHAPE_CONFIG_SCHEMAS: Record<ShapeName, TSchema> = {
  trigger: TriggerConfigSchema,
  map: MapConfigSchema,
  connector: ConnectorConfigSchema,
  manual_payload: ManualPayloadConfigSchema,
  filter: FilterConfigSchema,
  route: RouteConfigSchema,
  branch: BranchConfigSchema,
  flow_control: FlowControlConfigSchema,
  split: SplitConfigSchema,
  set_variables: SetVariablesConfigSchema,
  assert: AssertConfigSchema,
  notify: NotifyConfigSchema,
  try_catch: TryCatchConfigSchema,
  script: ScriptConfigSchema,
  run_flow: RunFlowConfigSchema,
  callback: CallbackConfigSchema,
  cache_add: CacheAddConfigSchema,
  cache_load: CacheLoadConfigSchema,
  dedupe: DedupeConfigSchema,
  track_data: TrackDataConfigSchema,
};

/**
 * How a shape whose outgoing edges carry labels names them. `labels` reads the allowed labels from
 * the step's config; it answers undefined when the config is too broken to tell (its own schema
 * errors say why), and then only the presence of a label is checked.
 */
export interface EdgeLabelRule {
  /** What a label names, for messages: "route", "branch", "path". */
  noun: string;
  labels(config: unknown): readonly string[] | undefined;
}

/** The shapes whose outgoing edges carry a label (spec/flows.md §1); every other shape's edges carry none. */
export const LABELLED_EDGE_SHAPES: Readonly<Record<string, EdgeLabelRule>> = {
  route: { noun: 'route', labels: (config) => labelsIn(config, 'routes') },
  branch: { noun: 'branch', labels: (config) => labelsIn(config, 'branches') },
  try_catch: { noun: 'path', labels: () => TRY_CATCH_LABELS },
};

/** The two paths out of a `try_catch` step. */
export const TRY_CATCH_LABELS = ['try', 'catch'] as const;

/** Whether edges out of a step of this shape carry a label. */
export function hasLabelledEdges(shape: string): boolean {
  return Object.hasOwn(LABELLED_EDGE_SHAPES, shape);
}

// Routes are objects with a `label`; branches may be plain labels or objects with one, whichever
// the branch schema settles on.
function labelsIn(config: unknown, key: string): readonly string[] | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const items: unknown = (config as Record<string, unknown>)[key];
  if (!Array.isArray(items)) return undefined;
  const labels: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') labels.push(item);
    else if (typeof item === 'object' && item !== null && typeof (item as { label?: unknown }).label === 'string') {
      labels.push((item as { label: string }).label);
    } else return undefined;
  }
  return labels;
}
