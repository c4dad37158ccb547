import { Graph, layout } from '@dagrejs/dagre';
import type { FlowDefinition } from '@weft/schema';

// About the size a step node is drawn at (styles.css .step-node); dagre needs sizes to keep nodes apart.
const NODE_WIDTH = 180;
const NODE_HEIGHT = 72;

/**
 * The definition with every step placed left to right by dagre (a layered layout: each step right
 * of the steps that feed it, crossings kept few). Edge labels take room too, so labelled edges get
 * a label box.
 */
export function autoLayout(def: FlowDefinition): FlowDefinition {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 40, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const step of def.steps) g.setNode(step.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  def.edges.forEach((edge, i) => {
    if (g.hasNode(edge.from) && g.hasNode(edge.to)) {
      g.setEdge(edge.from, edge.to, edge.label ? { width: edge.label.length * 7 + 16, height: 20, labelpos: 'c' } : {}, String(i));
    }
  });
  layout(g);
  return {
    ...def,
    steps: def.steps.map((step) => {
      const node = g.node(step.id);
      // dagre gives centres; React Flow positions are top-left corners.
      return node ? { ...step, position: { x: Math.round(node.x - NODE_WIDTH / 2), y: Math.round(node.y - NODE_HEIGHT / 2) } } : step;
    }),
  };
}
