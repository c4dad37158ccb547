import type { StepDefinition } from '@weft/schema';
import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { shapeLabel } from './definition';

export type StepNodeData = { step: StepDefinition; problems: number };
export type StepNode = Node<StepNodeData, 'step'>;

export function stepAriaLabel(step: StepDefinition, problems: number): string {
  return `${shapeLabel(step.shape)} step ${step.name ?? step.id}${problems ? `, ${problems} problem${problems === 1 ? '' : 's'}` : ''}`;
}

/** One step on the canvas: its shape, its name or id, and how many problems the last save found in it. */
export const StepNodeView = memo(function StepNodeView({ data, selected }: NodeProps<StepNode>) {
  const { step, problems } = data;
  return (
    <div
      className={`step-node shape-${step.shape}${selected ? ' selected' : ''}${problems ? ' invalid' : ''}`}
      data-testid={`step-${step.id}`}
    >
      {step.shape !== 'trigger' ? <Handle type="target" position={Position.Left} /> : null}
      <div className="step-shape">{shapeLabel(step.shape)}</div>
      <div className="step-name">{step.name ?? step.id}</div>
      {step.name ? <div className="step-id">{step.id}</div> : null}
      {problems ? (
        <div className="step-problems" data-testid={`step-problems-${step.id}`}>
          {problems} problem{problems === 1 ? '' : 's'}
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} />
    </div>
  );
});
