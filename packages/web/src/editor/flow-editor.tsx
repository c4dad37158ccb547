import type { FieldErrors, FlowDefinition, ShapeName } from '@weft/schema';
import { type ReactNode, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { api } from '../api/endpoints';
import type { Flow, FlowVersionWithDefinition } from '../api/types';
import { ErrorMessage } from '../components/error-message';
import { RunDialog } from '../features/flows/run-dialog';
import { navigate } from '../router';
import { Canvas } from './canvas';
import { addEdge, addStep, removeEdges, removeSteps, type SortedErrors, sortErrors, updateStep } from './definition';
import { FieldErrorList } from './field-errors';
import { Palette } from './palette';
import { SettingsPanel } from './settings-panel';

type Props = {
  flow: Flow;
  version: FlowVersionWithDefinition;
  /** Something changed on the server (saved, deployed, copied); `selectVersionId` is the version to show next. */
  onChanged(selectVersionId?: string, message?: string): void;
  /** Shown in the left column above the palette (the versions list). */
  sidebar?: ReactNode;
};

const NO_ERRORS: SortedErrors = { byStep: new Map(), other: {} };

/** One version on the canvas with its toolbar: save, deploy, run, copy to draft. */
export function FlowEditor({ flow, version, onChanged, sidebar }: Props) {
  const readOnly = version.status !== 'draft';
  const [definition, setDefinition] = useState<FlowDefinition>(version.definition);
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [errors, setErrors] = useState<SortedErrors>(NO_ERRORS);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [enableOnDeploy, setEnableOnDeploy] = useState(true);
  const [runDialog, setRunDialog] = useState(false);

  const change = (next: FlowDefinition) => {
    setDefinition(next);
    setDirty(true);
    setNotice('');
  };
  const step = useMemo(() => definition.steps.find((s) => s.id === selected), [definition, selected]);

  /** Runs an action, sorting a 422's field errors onto the steps of the definition it was about. */
  const act = async (what: () => Promise<void>, sentDefinition: FlowDefinition = definition) => {
    setBusy(true);
    setFailure(null);
    setNotice('');
    try {
      await what();
      setErrors(NO_ERRORS);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fieldErrors).length > 0) {
        const sorted = sortErrors(err.fieldErrors, sentDefinition);
        setErrors(sorted);
        const first = sorted.byStep.keys().next().value;
        if (first !== undefined && selected === null) setSelected(first);
      }
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  const save = () =>
    act(async () => {
      const saved = await api.saveVersion(version.id, definition);
      setDefinition(saved.definition);
      setDirty(false);
      setNotice(`Saved version ${version.number}.`);
    });

  const deploy = () =>
    act(async () => {
      if (dirty) {
        await api.saveVersion(version.id, definition);
        setDirty(false);
      }
      await api.deployVersion(version.id, enableOnDeploy);
      onChanged(version.id, `Deployed version ${version.number}; the draft is a copy of it.`);
    });

  const copyToDraft = () =>
    act(async () => {
      const draft = await api.copyToDraft(version.id);
      onChanged(draft.id, `Copied version ${version.number} to the draft.`);
    });

  const run = async (payload: string) => {
    if (dirty && !readOnly) await api.saveVersion(version.id, definition);
    setDirty(false);
    const started = await api.runManual(flow.id, version.id, payload);
    navigate(`/runs/${started.flow_run_id}`);
  };

  const problemCount = [...errors.byStep.values()].reduce((n, e) => n + Object.keys(e).length, 0) + Object.keys(errors.other).length;

  return (
    <div className="editor">
      <div className="toolbar" role="toolbar" aria-label="Version actions">
        {readOnly ? (
          <button type="button" onClick={() => void copyToDraft()} disabled={busy}>
            Copy to draft
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void save()} disabled={busy || !dirty}>
            {dirty ? 'Save' : 'Saved'}
          </button>
        )}
        {version.status !== 'deployed' ? (
          <>
            <button type="button" onClick={() => void deploy()} disabled={busy}>
              Deploy
            </button>
            <label className="check">
              <input type="checkbox" checked={enableOnDeploy} onChange={(e) => setEnableOnDeploy(e.target.checked)} />
              and enable the flow
            </label>
          </>
        ) : null}
        <button type="button" onClick={() => void act(() => run(''))} disabled={busy}>
          Run
        </button>
        <button type="button" onClick={() => setRunDialog(true)} disabled={busy}>
          Run with payload
        </button>
        <span role="status" className="notice">
          {notice}
          {dirty ? 'Unsaved changes' : ''}
        </span>
      </div>
      {failure ? (
        <div className="editor-errors">
          <ErrorMessage error={problemCount > 0 ? new Error((failure as Error).message) : failure} />
          <FieldErrorList errors={errors.other} testId="definition-errors" />
          {errors.byStep.size > 0 ? (
            <p className="muted">Steps with problems are marked on the canvas; select one to see its problems.</p>
          ) : null}
        </div>
      ) : null}
      <div className="editor-body">
        <div className="sidebar">
          {sidebar}
          <Palette
            disabled={readOnly}
            hasTrigger={definition.steps.some((s) => s.shape === 'trigger')}
            onAdd={(shape: ShapeName) => {
              const { def, id } = addStep(definition, shape);
              change(def);
              setSelected(id);
            }}
          />
        </div>
        <Canvas
          definition={definition}
          readOnly={readOnly}
          selectedStepId={selected}
          errorsByStep={errors.byStep}
          onSelect={setSelected}
          onMove={(id, position) => change(updateStep(definition, id, (s) => ({ ...s, position })))}
          onConnect={(from, to) => change(addEdge(definition, from, to))}
          onDeleteSteps={(ids) => {
            change(removeSteps(definition, ids));
            if (selected && ids.has(selected)) setSelected(null);
          }}
          onDeleteEdges={(keys) => change(removeEdges(definition, keys))}
          onDropShape={(shape, at) => {
            const { def, id } = addStep(definition, shape, at);
            change(def);
            setSelected(id);
          }}
        />
        {step ? (
          <SettingsPanel
            key={`${version.id}:${step.id}`}
            step={step}
            readOnly={readOnly}
            errors={errors.byStep.get(step.id) ?? ({} as FieldErrors)}
            onChange={(s) => change(updateStep(definition, step.id, () => s))}
            onDelete={() => {
              change(removeSteps(definition, new Set([step.id])));
              setSelected(null);
            }}
            onClose={() => setSelected(null)}
          />
        ) : null}
      </div>
      {runDialog ? <RunDialog onRun={run} onClose={() => setRunDialog(false)} /> : null}
    </div>
  );
}
