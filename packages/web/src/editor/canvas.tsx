import {
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MarkerType,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { FieldErrors, FlowDefinition, ShapeName } from '@weft/schema';
import { type DragEvent, useEffect, useMemo, useState } from 'react';
import { edgeKey, layoutPositions } from './definition';
import { type StepNode, StepNodeView, stepAriaLabel } from './step-node';

const NODE_TYPES = { step: StepNodeView };
export const FIT_VIEW = { maxZoom: 1.1, padding: 0.2 };
export const PALETTE_MIME = 'application/x-weft-shape';

export interface CanvasProps {
  definition: FlowDefinition;
  readOnly: boolean;
  selectedStepId: string | null;
  errorsByStep: Map<string, FieldErrors>;
  onSelect(stepId: string | null): void;
  /** Steps moved by dragging or with the arrow keys, with their new positions. */
  onMove(positions: Map<string, { x: number; y: number }>): void;
  onConnect(from: string, to: string): void;
  onDeleteSteps(ids: Set<string>): void;
  onDeleteEdges(keys: Set<string>): void;
  onDropShape(shape: ShapeName, position: { x: number; y: number }): void;
}

const round = (p: { x: number; y: number }) => ({ x: Math.round(p.x), y: Math.round(p.y) });

function CanvasInner(props: CanvasProps) {
  const { definition, readOnly, selectedStepId, errorsByStep } = props;
  const { screenToFlowPosition, fitView } = useReactFlow();
  const [nodes, setNodes] = useState<StepNode[]>([]);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const stepCount = definition.steps.length;

  // A step added from the palette may land outside the view; refit whenever the number of steps changes.
  useEffect(() => {
    if (stepCount === 0) return;
    const frame = requestAnimationFrame(() => void fitView(FIT_VIEW));
    return () => cancelAnimationFrame(frame);
  }, [stepCount, fitView]);

  // The definition is the truth; nodes keep React Flow's own state (measured size, drag position) between updates.
  useEffect(() => {
    const positions = layoutPositions(definition);
    setNodes((prev) =>
      definition.steps.map((step) => {
        const old = prev.find((n) => n.id === step.id);
        return {
          ...old,
          id: step.id,
          type: 'step' as const,
          position: step.position ?? old?.position ?? positions.get(step.id) ?? { x: 0, y: 0 },
          data: { step, problems: Object.keys(errorsByStep.get(step.id) ?? {}).length },
          ariaLabel: stepAriaLabel(step, Object.keys(errorsByStep.get(step.id) ?? {}).length),
          selected: step.id === selectedStepId,
          deletable: !readOnly && step.shape !== 'trigger',
        };
      }),
    );
  }, [definition, errorsByStep, selectedStepId, readOnly]);

  const edges: Edge[] = useMemo(
    () =>
      definition.edges.map((e) => ({
        id: edgeKey(e),
        source: e.from,
        target: e.to,
        label: e.label,
        labelBgPadding: [6, 3] as [number, number],
        labelBgBorderRadius: 4,
        className: e.label ? 'labelled' : undefined,
        ariaLabel: `Edge from ${e.from} to ${e.to}${e.label ? `, ${e.label}` : ''}`,
        selected: edgeKey(e) === selectedEdge,
        deletable: !readOnly,
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
    [definition.edges, selectedEdge, readOnly],
  );

  const onNodesChange = (changes: NodeChange<StepNode>[]) => {
    const removed = new Set<string>();
    const moved = new Map<string, { x: number; y: number }>();
    for (const c of changes) {
      if (c.type === 'remove') removed.add(c.id);
      if (c.type === 'select' && c.selected) props.onSelect(c.id);
      // A finished drag or an arrow-key move: the definition takes the new place (dragging is true only mid-drag).
      if (c.type === 'position' && c.position && !c.dragging) moved.set(c.id, round(c.position));
    }
    if (removed.size > 0 && !readOnly) props.onDeleteSteps(removed);
    if (moved.size > 0 && !readOnly) props.onMove(moved);
    setNodes((ns) =>
      applyNodeChanges(
        changes.filter((c) => c.type !== 'remove'),
        ns,
      ),
    );
  };

  const onEdgesChange = (changes: EdgeChange[]) => {
    const removed = new Set<string>();
    for (const c of changes) {
      if (c.type === 'remove') removed.add(c.id);
      if (c.type === 'select') setSelectedEdge(c.selected ? c.id : null);
    }
    if (removed.size > 0 && !readOnly) props.onDeleteEdges(removed);
  };

  const onDrop = (event: DragEvent) => {
    const shape = event.dataTransfer.getData(PALETTE_MIME) as ShapeName;
    if (!shape || readOnly) return;
    event.preventDefault();
    props.onDropShape(shape, screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  return (
    <ReactFlow<StepNode, Edge>
      nodes={nodes}
      edges={edges}
      nodeTypes={NODE_TYPES}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={(c: Connection) => !readOnly && props.onConnect(c.source, c.target)}
      onNodeDragStop={(_e, _node, dragged) => !readOnly && props.onMove(new Map(dragged.map((n) => [n.id, round(n.position)])))}
      onPaneClick={() => props.onSelect(null)}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDrop={onDrop}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
      fitView
      fitViewOptions={FIT_VIEW}
      proOptions={{ hideAttribution: true }}
      aria-label="Flow canvas"
    >
      <Background gap={16} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

/**
 * The version's graph on React Flow: drag to move, drag handle to handle to connect, Delete to
 * remove; Tab reaches each step, Enter selects it, the arrow keys move it. Needs a
 * ReactFlowProvider above it (the editor's toolbar shares it for zoom to fit).
 */
export function Canvas(props: CanvasProps) {
  return (
    <div className="canvas" data-testid="canvas">
      <CanvasInner {...props} />
    </div>
  );
}
