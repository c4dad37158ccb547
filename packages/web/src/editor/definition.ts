import {
  type EdgeDefinition,
  type FieldErrors,
  type FlowDefinition,
  hasLabelledEdges,
  LABELLED_EDGE_SHAPES,
  type ShapeName,
  type StepDefinition,
} from '@weft/schema';

/** Shapes a user adds from the palette, with the config a new step of each starts with. */
export const DEFAULT_CONFIGS: Partial<Record<ShapeName, Record<string, unknown>>> = {
  trigger: {},
  map: { rules: [] },
  connector: { request: { method: 'POST', url: '' }, timeout_seconds: 30, retries: 0 },
  manual_payload: { body: '', format: 'json' },
};

export const SHAPE_LABELS: Record<string, string> = {
  trigger: 'Trigger',
  map: 'Map',
  connector: 'Connector',
  manual_payload: 'Manual payload',
};

export function shapeLabel(shape: string): string {
  const words = shape.replace(/_/g, ' ');
  return SHAPE_LABELS[shape] ?? words.charAt(0).toUpperCase() + words.slice(1);
}

const COLUMN_WIDTH = 260;
const ROW_HEIGHT = 120;
const ORIGIN = { x: 40, y: 60 };

/**
 * Where each step is drawn: its saved position, or a column by its distance from the trigger
 * (the longest path, so a step sits right of everything that feeds it).
 */
export function layoutPositions(def: FlowDefinition): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  for (const step of def.steps) depth.set(step.id, 0);
  // Longest-path depths by relaxation; a valid graph is acyclic, and the bound keeps a broken one finite.
  for (let round = 0; round < def.steps.length; round++) {
    let changed = false;
    for (const edge of def.edges) {
      const d = (depth.get(edge.from) ?? 0) + 1;
      if (depth.has(edge.to) && d > (depth.get(edge.to) ?? 0)) {
        depth.set(edge.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const rows = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const step of def.steps) {
    const d = depth.get(step.id) ?? 0;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    out.set(step.id, step.position ?? { x: ORIGIN.x + d * COLUMN_WIDTH, y: ORIGIN.y + row * ROW_HEIGHT });
  }
  return out;
}

function uniqueId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** The definition with a new step of `shape`, placed right of the rightmost step; returns the new step's id too. */
export function addStep(def: FlowDefinition, shape: ShapeName, at?: { x: number; y: number }): { def: FlowDefinition; id: string } {
  const id = uniqueId(shape, new Set(def.steps.map((s) => s.id)));
  const positions = [...layoutPositions(def).values()];
  const position = at ?? {
    x: positions.length ? Math.max(...positions.map((p) => p.x)) + COLUMN_WIDTH : ORIGIN.x,
    y: ORIGIN.y,
  };
  const step: StepDefinition = { id, shape, config: structuredClone(DEFAULT_CONFIGS[shape] ?? {}), position };
  return { def: { ...def, steps: [...def.steps, step] }, id };
}

export function removeSteps(def: FlowDefinition, ids: Set<string>): FlowDefinition {
  return {
    ...def,
    steps: def.steps.filter((s) => !ids.has(s.id)),
    edges: def.edges.filter((e) => !ids.has(e.from) && !ids.has(e.to)),
  };
}

export function updateStep(def: FlowDefinition, id: string, change: (step: StepDefinition) => StepDefinition): FlowDefinition {
  return { ...def, steps: def.steps.map((s) => (s.id === id ? change(s) : s)) };
}

/** An edge's identity: two edges between the same steps differ by their label (route, branch, try/catch path). */
export function edgeKey(edge: EdgeDefinition): string {
  return `${edge.from}->${edge.to}${edge.label === undefined ? '' : `#${edge.label}`}`;
}

export function addEdge(def: FlowDefinition, from: string, to: string, label?: string): FlowDefinition {
  const edge: EdgeDefinition = label === undefined ? { from, to } : { from, to, label };
  if (from === to || def.edges.some((e) => edgeKey(e) === edgeKey(edge))) return def;
  return { ...def, edges: [...def.edges, edge] };
}

/** The edge `key` with its label changed (or removed, for undefined). */
export function relabelEdge(def: FlowDefinition, key: string, label: string | undefined): FlowDefinition {
  return {
    ...def,
    edges: def.edges.map((e) => {
      if (edgeKey(e) !== key) return e;
      const { label: _old, ...rest } = e;
      return label === undefined ? rest : { ...rest, label };
    }),
  };
}

/**
 * The labels an edge out of `step` may carry: the route or branch labels of its config, or
 * try/catch; undefined when edges out of this shape carry none. An empty list means the shape
 * wants a label but its config names none yet.
 */
export function edgeLabelsFor(step: StepDefinition | undefined): readonly string[] | undefined {
  if (!step || !hasLabelledEdges(step.shape)) return undefined;
  return LABELLED_EDGE_SHAPES[step.shape]?.labels(step.config) ?? [];
}

export function removeEdges(def: FlowDefinition, keys: Set<string>): FlowDefinition {
  return { ...def, edges: def.edges.filter((e) => !keys.has(edgeKey(e))) };
}

export interface SortedErrors {
  /** Step id → path under the step (`config.rules[0].target`, or '' for the step itself) → messages. */
  byStep: Map<string, FieldErrors>;
  /** Everything that is not about one step: edges, variables, the definition as a whole. */
  other: FieldErrors;
}

const STEP_PATH = /^steps\[(\d+)\]\.?(.*)$/;

/**
 * Sorts a 422's field errors (`definition.steps[2].config.rules[0].target`) by the step they are
 * about. Indexes refer to `def` as it was sent, which is why the caller passes that definition.
 */
export function sortErrors(errors: FieldErrors, def: FlowDefinition): SortedErrors {
  const byStep = new Map<string, FieldErrors>();
  const other: FieldErrors = {};
  for (const [key, messages] of Object.entries(errors)) {
    const path = key.replace(/^definition\.?/, '');
    const m = STEP_PATH.exec(path);
    const step = m ? def.steps[Number(m[1])] : undefined;
    if (!m || !step) {
      other[path || 'definition'] = messages;
      continue;
    }
    const forStep = byStep.get(step.id) ?? {};
    forStep[m[2] ?? ''] = messages;
    byStep.set(step.id, forStep);
  }
  return { byStep, other };
}

/** The errors under `prefix` (`config.rules[1]`), keyed by the rest of the path. */
export function errorsUnder(errors: FieldErrors | undefined, prefix: string): FieldErrors {
  const out: FieldErrors = {};
  for (const [path, messages] of Object.entries(errors ?? {})) {
    if (path === prefix) out[''] = messages;
    else if (path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) out[path.slice(prefix.length).replace(/^\./, '')] = messages;
  }
  return out;
}
