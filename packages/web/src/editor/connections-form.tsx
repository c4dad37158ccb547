import type { FlowDefinition, StepDefinition } from '@weft/schema';
import { useId, useState } from 'react';
import { edgeKey, edgeLabelsFor, relabelEdge, removeEdges } from './definition';

type Props = {
  definition: FlowDefinition;
  step: StepDefinition;
  readOnly: boolean;
  /** Adds an edge from the step; `label` is given when the step's edges carry one. */
  onConnect(to: string, label?: string): void;
  onChange(definition: FlowDefinition): void;
};

/**
 * The selected step's outgoing edges as a form: the keyboard way to connect, relabel and
 * disconnect steps, beside dragging between handles on the canvas.
 */
export function ConnectionsForm({ definition, step, readOnly, onConnect, onChange }: Props) {
  const labels = edgeLabelsFor(step);
  const outgoing = definition.edges.filter((e) => e.from === step.id);
  const targets = definition.steps.filter((s) => s.id !== step.id && s.shape !== 'trigger');
  const [to, setTo] = useState('');
  const [label, setLabel] = useState('');
  const id = useId();
  const chosenLabel = labels === undefined ? undefined : label || labels[0] || '';

  return (
    <fieldset className="stack connections" disabled={readOnly}>
      <legend>Connections out of this step</legend>
      {outgoing.length === 0 ? <p className="muted">None yet.</p> : null}
      <ul className="plain" aria-label="Outgoing edges">
        {outgoing.map((e) => (
          <li key={edgeKey(e)} className="row">
            <span className="grow">
              → <code>{e.to}</code>
            </span>
            {labels !== undefined && labels.length > 0 ? (
              <label>
                <span className="visually-hidden">
                  Label of the edge to {e.to}
                  {e.label ? ` (${e.label})` : ''}
                </span>
                <select
                  value={e.label ?? ''}
                  onChange={(ev) => onChange(relabelEdge(definition, edgeKey(e), ev.target.value || undefined))}
                >
                  {e.label === undefined || !labels.includes(e.label) ? <option value={e.label ?? ''}>{e.label ?? '(none)'}</option> : null}
                  {labels.map((l) => (
                    <option key={l}>{l}</option>
                  ))}
                </select>
              </label>
            ) : null}
            {labels !== undefined && labels.length === 0 ? (
              <label>
                <span className="visually-hidden">
                  Label of the edge to {e.to}
                  {e.label ? ` (${e.label})` : ''}
                </span>
                <input
                  value={e.label ?? ''}
                  onChange={(ev) => onChange(relabelEdge(definition, edgeKey(e), ev.target.value || undefined))}
                />
              </label>
            ) : null}
            <button
              type="button"
              aria-label={`Remove the edge to ${e.to}${e.label ? ` (${e.label})` : ''}`}
              onClick={() => onChange(removeEdges(definition, new Set([edgeKey(e)])))}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      {targets.length > 0 ? (
        <div className="row">
          <label className="grow">
            Connect to
            <select id={`${id}-to`} value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">Choose a step…</option>
              {targets.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name ? `${s.name} (${s.id})` : s.id}
                </option>
              ))}
            </select>
          </label>
          {labels !== undefined && labels.length > 0 ? (
            <label>
              Via
              <select value={chosenLabel} onChange={(e) => setLabel(e.target.value)}>
                {labels.map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            </label>
          ) : null}
          {labels !== undefined && labels.length === 0 ? (
            <label>
              Via
              <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="label" />
            </label>
          ) : null}
          <button
            type="button"
            disabled={!to || (labels !== undefined && !chosenLabel)}
            onClick={() => {
              onConnect(to, chosenLabel);
              setTo('');
            }}
          >
            Connect
          </button>
        </div>
      ) : null}
    </fieldset>
  );
}
