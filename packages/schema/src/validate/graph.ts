import { LABELLED_EDGE_SHAPES } from '../shapes/index.js';
import { childPath, type Problems, quote } from './field-path.js';

/** A step as the graph checks see it: whatever of it was well formed. */
export interface GraphStep {
  index: number;
  /** Undefined when the id is missing or not a string (its own error says so). */
  id: string | undefined;
  shape: string | undefined;
  config: unknown;
}

export interface GraphEdge {
  index: number;
  from: string;
  to: string;
  label: string | undefined;
}

/** Shapes of which a flow may hold one at most, with why. */
const SINGLETON_SHAPES: Readonly<Record<string, string>> = {
  trigger: 'a flow has exactly one trigger step',
  try_catch: 'a flow has at most one try_catch step',
};

// Cycles in a large graph can be thousands of steps long; the message names enough to find it.
const MAX_CYCLE_STEPS_SHOWN = 12;

const stepPath = (index: number) => childPath('steps', index);
const edgePath = (index: number) => childPath('edges', index);

/**
 * The graph rules of spec/flows.md §1: one trigger without incoming edges, edges between existing
 * steps, no duplicates, self loops or cycles, every step reachable from the trigger, labels exactly
 * on edges out of route, branch and try_catch steps. `steps` are all object steps in order (a
 * duplicate id included, so shapes are counted), `edges` the edges whose from and to are strings.
 */
export function checkGraph(steps: readonly GraphStep[], edges: readonly GraphEdge[], problems: Problems): void {
  const byId = new Map<string, GraphStep>();
  for (const step of steps) {
    if (step.id !== undefined && !byId.has(step.id)) byId.set(step.id, step);
  }

  const firstOfShape = new Map<string, GraphStep>();
  for (const step of steps) {
    if (step.shape === undefined || !Object.hasOwn(SINGLETON_SHAPES, step.shape)) continue;
    const first = firstOfShape.get(step.shape);
    if (first === undefined) firstOfShape.set(step.shape, step);
    else problems.add(childPath(stepPath(step.index), 'shape'), `${SINGLETON_SHAPES[step.shape]}; ${stepPath(first.index)} is already one`);
  }
  const trigger = firstOfShape.get('trigger');
  if (trigger === undefined) problems.add('steps', 'must contain one step of shape trigger, the start of the flow; found none');

  const outgoing = new Map<string, { to: string; index: number }[]>();
  const incoming = new Set<string>();
  const seenEdges = new Map<string, number>();
  for (const edge of edges) {
    const at = edgePath(edge.index);
    const from = byId.get(edge.from);
    const to = byId.get(edge.to);
    if (from === undefined) problems.add(childPath(at, 'from'), `refers to unknown step ${quote(edge.from)}`);
    if (to === undefined) problems.add(childPath(at, 'to'), `refers to unknown step ${quote(edge.to)}`);
    else incoming.add(edge.to);
    if (from !== undefined) checkLabel(edge, from, problems);
    if (from === undefined || to === undefined) continue;

    if (edge.from === edge.to) {
      problems.add(childPath(at, 'to'), `points back to its own step ${quote(edge.from)}; a step cannot feed itself`);
      continue;
    }
    if (to === trigger) {
      problems.add(
        childPath(at, 'to'),
        `points to the trigger step ${quote(edge.to)}; the trigger starts the flow and has no incoming edges`,
      );
      continue;
    }
    const key = JSON.stringify([edge.from, edge.to, edge.label ?? null]);
    const duplicateOf = seenEdges.get(key);
    if (duplicateOf !== undefined) {
      problems.add(at, `duplicates ${edgePath(duplicateOf)} (${quote(edge.from)} → ${quote(edge.to)})`);
      continue;
    }
    seenEdges.set(key, edge.index);
    const list = outgoing.get(edge.from);
    if (list === undefined) outgoing.set(edge.from, [{ to: edge.to, index: edge.index }]);
    else list.push({ to: edge.to, index: edge.index });
  }

  for (const [id, step] of byId) {
    if (step === trigger || incoming.has(id)) continue;
    problems.add(
      stepPath(step.index),
      `step ${quote(id)} has no incoming edge; only the trigger starts the flow, every other step needs a predecessor`,
    );
  }

  if (trigger?.id !== undefined && byId.get(trigger.id) === trigger) {
    const reached = reachableFrom(trigger.id, outgoing);
    for (const [id, step] of byId) {
      if (!reached.has(id) && incoming.has(id)) problems.add(stepPath(step.index), `step ${quote(id)} is not reachable from the trigger`);
    }
  }

  for (const { edgeIndex, cycle } of findCycles([...byId.keys()], outgoing)) {
    problems.add(edgePath(edgeIndex), `closes a cycle: ${cycle}; a flow must not loop back to an earlier step`);
  }
}

function checkLabel(edge: GraphEdge, from: GraphStep, problems: Problems): void {
  const at = childPath(edgePath(edge.index), 'label');
  const rule = from.shape === undefined || !Object.hasOwn(LABELLED_EDGE_SHAPES, from.shape) ? undefined : LABELLED_EDGE_SHAPES[from.shape];
  if (rule === undefined) {
    if (edge.label !== undefined) {
      problems.add(at, `is not allowed: only edges out of ${listOf(Object.keys(LABELLED_EDGE_SHAPES))} steps carry a label`);
    }
    return;
  }
  const labels = rule.labels(from.config);
  const choices = labels === undefined || labels.length === 0 ? '' : ` (one of ${labels.join(', ')})`;
  if (edge.label === undefined) {
    problems.add(at, `is required: edges out of ${from.shape} step ${quote(edge.from)} name the ${rule.noun} they take${choices}`);
  } else if (labels !== undefined && !labels.includes(edge.label)) {
    problems.add(
      at,
      labels.length === 0
        ? `refers to ${rule.noun} ${quote(edge.label)}, but ${from.shape} step ${quote(edge.from)} has none`
        : `must be one of ${labels.join(', ')}: the ${rule.noun}s of ${from.shape} step ${quote(edge.from)}`,
    );
  }
}

function reachableFrom(start: string, outgoing: ReadonlyMap<string, { to: string }[]>): Set<string> {
  const reached = new Set([start]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const { to } of outgoing.get(queue[i] as string) ?? []) {
      if (!reached.has(to)) {
        reached.add(to);
        queue.push(to);
      }
    }
  }
  return reached;
}

/**
 * Depth-first search, iterative so a flow thousands of steps deep cannot overflow the stack. Every
 * edge back to a step still on the current path closes a cycle; that edge is the one to remove.
 */
function findCycles(
  ids: readonly string[],
  outgoing: ReadonlyMap<string, { to: string; index: number }[]>,
): { edgeIndex: number; cycle: string }[] {
  const cycles: { edgeIndex: number; cycle: string }[] = [];
  const done = new Set<string>();
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const frames: { id: string; next: number }[] = [];
  for (const root of ids) {
    if (done.has(root)) continue;
    frames.push({ id: root, next: 0 });
    onPath.set(root, 0);
    path.push(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { id: string; next: number };
      const edges = outgoing.get(frame.id) ?? [];
      const edge = edges[frame.next++];
      if (edge === undefined) {
        frames.pop();
        path.pop();
        onPath.delete(frame.id);
        done.add(frame.id);
        continue;
      }
      const position = onPath.get(edge.to);
      if (position !== undefined) {
        cycles.push({ edgeIndex: edge.index, cycle: describeCycle(path, position) });
      } else if (!done.has(edge.to)) {
        onPath.set(edge.to, path.length);
        path.push(edge.to);
        frames.push({ id: edge.to, next: 0 });
      }
    }
  }
  return cycles.sort((a, b) => a.edgeIndex - b.edgeIndex);
}

/** `"a" → "b" → "a"` for the part of `path` from `start` on, closed back to its first step. */
function describeCycle(path: readonly string[], start: number): string {
  const length = path.length - start;
  const name = (i: number) => quote(path[i] as string, 40);
  if (length < MAX_CYCLE_STEPS_SHOWN) {
    return [...path.slice(start).map((id) => quote(id, 40)), name(start)].join(' → ');
  }
  // Sliced before quoting so a cycle through thousands of steps costs no more than a short one.
  const head = path.slice(start, start + MAX_CYCLE_STEPS_SHOWN - 2).map((id) => quote(id, 40));
  return `${head.join(' → ')} → … → ${name(path.length - 1)} → ${name(start)} (${length} steps)`;
}

/** `a, b and c`. */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
