import type { ConnectorConfig, FieldErrors, FlowDefinition, MapConfig, StepDefinition, TriggerConfig } from '@weft/schema';
import type { ReactNode } from 'react';
import { CopyableId } from '../components/copy-button';
import { errorsUnder, shapeLabel } from './definition';
import { FieldErrorList } from './field-errors';
import { ConnectorForm } from './shapes/connector/connector-form';
import { JsonConfigForm } from './shapes/json-form';
import { MapForm } from './shapes/map/map-form';
import { TriggerForm } from './shapes/trigger/trigger-form';

type Props = {
  step: StepDefinition;
  readOnly: boolean;
  errors: FieldErrors;
  onChange(step: StepDefinition): void;
  onDelete(): void;
  onClose(): void;
  /** The step's outgoing edges (a form), shown below its settings. */
  connections?: ReactNode;
  /** The whole flow, for forms that look at the steps around this one (the map's field suggestions). */
  definition?: FlowDefinition;
};

/** The selected step's settings: its name, its shape's form, and the problems the last save found in it. */
export function SettingsPanel({ step, readOnly, errors, onChange, onDelete, onClose, connections, definition }: Props) {
  const configErrors = errorsUnder(errors, 'config');
  const stepErrors = Object.fromEntries(Object.entries(errors).filter(([p]) => !p.startsWith('config')));
  const setConfig = (config: Record<string, unknown>) => onChange({ ...step, config });

  let form: ReactNode;
  if (step.shape === 'map') {
    form = (
      <MapForm
        stepKey={step.id}
        config={step.config as Partial<MapConfig>}
        onChange={setConfig}
        readOnly={readOnly}
        errors={configErrors}
        definition={definition}
      />
    );
  } else if (step.shape === 'connector') {
    form = (
      <ConnectorForm
        config={step.config as Partial<ConnectorConfig>}
        onChange={(c) => setConfig(c)}
        readOnly={readOnly}
        errors={configErrors}
      />
    );
  } else if (step.shape === 'trigger') {
    form = <TriggerForm config={step.config as TriggerConfig} onChange={setConfig} readOnly={readOnly} errors={configErrors} />;
  } else {
    form = (
      <>
        <JsonConfigForm config={step.config} onChange={setConfig} readOnly={readOnly} />
        <FieldErrorList errors={configErrors} />
      </>
    );
  }

  return (
    <aside className={`settings${step.shape === 'map' ? ' wide' : ''}`} aria-label="Step settings" data-testid="settings-panel">
      <div className="settings-head">
        <h2>
          {shapeLabel(step.shape)} step{readOnly ? ' (read-only)' : ''}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close step settings">
          ✕
        </button>
      </div>
      <p>
        Step id <CopyableId id={step.id} label="step id" />
      </p>
      <label>
        Name
        <input
          value={step.name ?? ''}
          readOnly={readOnly}
          placeholder={step.id}
          onChange={(e) => {
            const { name: _old, ...rest } = step;
            onChange(e.target.value ? { ...rest, name: e.target.value } : rest);
          }}
        />
      </label>
      <FieldErrorList errors={stepErrors} testId="step-errors" />
      {form}
      {connections}
      {readOnly || step.shape === 'trigger' ? null : (
        <button type="button" className="danger" onClick={onDelete}>
          Delete step
        </button>
      )}
    </aside>
  );
}
