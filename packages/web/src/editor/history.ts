import type { FlowDefinition } from '@weft/schema';

/** Undo/redo stacks of whole definitions: they are small, and a whole copy cannot drift from the truth. */
export interface History {
  past: FlowDefinition[];
  future: FlowDefinition[];
}

export const NO_HISTORY: History = { past: [], future: [] };
const LIMIT = 100;

/** The history after an edit away from `current`: the edit can be undone, and nothing is left to redo. */
export function record(history: History, current: FlowDefinition): History {
  return { past: [...history.past.slice(-(LIMIT - 1)), current], future: [] };
}

export function undo(history: History, current: FlowDefinition): { history: History; definition: FlowDefinition } | undefined {
  const previous = history.past.at(-1);
  if (!previous) return undefined;
  return { history: { past: history.past.slice(0, -1), future: [current, ...history.future] }, definition: previous };
}

export function redo(history: History, current: FlowDefinition): { history: History; definition: FlowDefinition } | undefined {
  const next = history.future[0];
  if (!next) return undefined;
  return { history: { past: [...history.past, current], future: history.future.slice(1) }, definition: next };
}
