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
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { FieldErrors, FlowDefinition, ShapeName } from '@weft/schema';
import { type DragEvent, useEffect, useMemo, useState } from 'react';
import { edgeKey, layoutPositions } from './definition';
import { type StepNode, StepNodeView, stepAriaLabel } from './step-node';

const NODE_TYPES = { step: StepNodeView };
const FIT_VIEW = { maxZoom: 1.1, padding: 0.2 };
export const PALETTE_MIME = 'application/x-weft-shape';

export interface CanvasProps {
  definition: FlowDefinition;
  readOnly: boolean;
  selectedStepId: string | null;
  errorsByStep: Map<string, FieldErrors>;
  onSelect(stepId: string | null): void;
  onMove(stepId: string, position: { x: number; y: number }): void;
  onConnect(from: string, to: string): void;
  onDeleteSteps(ids: Set<string>): void;
  onDeleteEdges(keys: Set<string>): void;
  onDropShape(shape: ShapeName, position: { x: number; y: number }): void;
}

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
        selected: edgeKey(e) === selectedEdge,
        deletable: !readOnly,
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
    [definition.edges, selectedEdge, readOnly],
  );

  const onNodesChange = (changes: NodeChange<StepNode>[]) => {
    const removed = new Set<string>();
    for (const c of changes) {
      if (c.type === 'remove') removed.add(c.id);
      if (c.type === 'select' && c.selected) props.onSelect(c.id);
    }
    if (removed.size > 0 && !readOnly) props.onDeleteSteps(removed);
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
      onNodeDragStop={(_e, node) => props.onMove(node.id, { x: Math.round(node.position.x), y: Math.round(node.position.y) })}
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

/** The version's graph on React Flow: drag to move, drag handle to handle to connect, Delete to remove. */
export function Canvas(props: CanvasProps) {
  return (
    <div className="canvas" data-testid="canvas">
      <ReactFlowProvider>
        <CanvasInner {...props} />
      </ReactFlowProvider>
    </div>
  );
}
