import { type FieldErrors, type FlowDefinition, LABELLED_EDGE_SHAPES, type ShapeName } from '@weft/schema';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { api } from '../api/endpoints';
import type { Flow, FlowVersionWithDefinition } from '../api/types';
import { ErrorMessage } from '../components/error-message';
import { RunDialog } from '../features/flows/run-dialog';
import { navigate } from '../router';
import { autoLayout } from './auto-layout';
import { Canvas, FIT_VIEW } from './canvas';
import { ConnectionsForm } from './connections-form';
import {
  addEdge,
  addStep,
  edgeLabelsFor,
  layoutPositions,
  removeEdges,
  removeSteps,
  type SortedErrors,
  sortErrors,
  updateStep,
} from './definition';
import { EdgeLabelDialog } from './edge-label-dialog';
import { EndpointCatalogProvider } from './endpoint-catalog';
import { FieldErrorList } from './field-errors';
import { type History, NO_HISTORY, record, redo, undo } from './history';
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

/** One version on the canvas with its toolbar: save, deploy, run, copy to draft, undo/redo, layout, zoom to fit. */
export function FlowEditor(props: Props) {
  return (
    <ReactFlowProvider>
      <EndpointCatalogProvider>
        <Editor {...props} />
      </EndpointCatalogProvider>
    </ReactFlowProvider>
  );
}

/** Whether a key press belongs to a form field (its own text undo), not to the canvas. */
function inField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

function Editor({ flow, version, onChanged, sidebar }: Props) {
  const readOnly = version.status !== 'draft';
  const { fitView } = useReactFlow();
  const [definition, setDefinition] = useState<FlowDefinition>(version.definition);
  const [history, setHistory] = useState<History>(NO_HISTORY);
  // Counts undo/redo steps: the settings panel starts afresh after one, since its forms keep local state.
  const [travels, setTravels] = useState(0);
  const [pending, setPending] = useState<{ from: string; to: string } | null>(null);
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [errors, setErrors] = useState<SortedErrors>(NO_ERRORS);
  const [failure, setFailure] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [enableOnDeploy, setEnableOnDeploy] = useState(true);
  const [runDialog, setRunDialog] = useState(false);

  const lastTyped = useRef(0);
  /**
   * Every edit goes through here, so it can be undone. Typing in the settings (`typing`) within a
   * second of the last keystroke extends the same undo step rather than making one per key.
   */
  const change = (next: FlowDefinition, typing = false) => {
    if (next === definition) return;
    const now = Date.now();
    const extend = typing && now - lastTyped.current < 1000 && history.past.length > 0;
    lastTyped.current = typing ? now : 0;
    if (!extend) setHistory(record(history, definition));
    setDefinition(next);
    setDirty(true);
    setNotice('');
  };
  const travel = (step: typeof undo) => {
    const moved = step(history, definition);
    if (!moved) return;
    setHistory(moved.history);
    setDefinition(moved.definition);
    setTravels((n) => n + 1);
    lastTyped.current = 0;
    setDirty(true);
    setNotice('');
  };
  const zoomToFit = () => requestAnimationFrame(() => void fitView(FIT_VIEW));
  const layout = () => {
    change(autoLayout(definition));
    zoomToFit();
  };
  const connect = (from: string, to: string, label?: string) => {
    const labels = edgeLabelsFor(definition.steps.find((s) => s.id === from));
    // Edges out of route, branch and try/catch steps name the path they take: ask which.
    if (labels !== undefined && label === undefined) setPending({ from, to });
    else change(addEdge(definition, from, to, label));
  };
  const moveSteps = (positions: Map<string, { x: number; y: number }>) => {
    const current = layoutPositions(definition);
    const changed = [...positions].filter(([id, p]) => {
      const was = current.get(id);
      return !was || was.x !== p.x || was.y !== p.y;
    });
    if (changed.length === 0) return;
    const moved = new Map(changed);
    change({ ...definition, steps: definition.steps.map((s) => (moved.has(s.id) ? { ...s, position: moved.get(s.id)! } : s)) });
  };

  // Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) undo and redo canvas edits; inside a form field they stay the field's own.
  const keys = useRef<(e: KeyboardEvent) => void>(() => {});
  keys.current = (e: KeyboardEvent) => {
    if (readOnly || !(e.ctrlKey || e.metaKey) || inField(e.target)) return;
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey) travel(undo);
    else if ((key === 'z' && e.shiftKey) || key === 'y') travel(redo);
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
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
        <fieldset className="toolbar-group">
          <legend className="visually-hidden">Canvas</legend>
          <button type="button" onClick={() => travel(undo)} disabled={readOnly || history.past.length === 0} title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button type="button" onClick={() => travel(redo)} disabled={readOnly || history.future.length === 0} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
          <button type="button" onClick={layout} disabled={readOnly}>
            Auto-layout
          </button>
          <button type="button" onClick={zoomToFit}>
            Zoom to fit
          </button>
          <button
            type="button"
            onClick={() => {
              if (!step || step.shape === 'trigger') return;
              change(removeSteps(definition, new Set([step.id])));
              setSelected(null);
            }}
            disabled={readOnly || !step || step.shape === 'trigger'}
            title="Delete the selected step (Delete)"
          >
            Delete selected step
          </button>
        </fieldset>
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
          onMove={moveSteps}
          onConnect={(from, to) => connect(from, to)}
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
            key={`${version.id}:${step.id}:${travels}`}
            step={step}
            definition={definition}
            readOnly={readOnly}
            errors={errors.byStep.get(step.id) ?? ({} as FieldErrors)}
            onChange={(s) =>
              change(
                updateStep(definition, step.id, () => s),
                true,
              )
            }
            connections={
              <ConnectionsForm
                definition={definition}
                step={step}
                readOnly={readOnly}
                onConnect={(to, label) => connect(step.id, to, label)}
                onChange={change}
              />
            }
            onDelete={() => {
              change(removeSteps(definition, new Set([step.id])));
              setSelected(null);
            }}
            onClose={() => setSelected(null)}
          />
        ) : null}
      </div>
      {runDialog ? <RunDialog onRun={run} onClose={() => setRunDialog(false)} /> : null}
      {pending ? (
        <EdgeLabelDialog
          from={pending.from}
          to={pending.to}
          labels={edgeLabelsFor(definition.steps.find((s) => s.id === pending.from)) ?? []}
          noun={LABELLED_EDGE_SHAPES[definition.steps.find((s) => s.id === pending.from)?.shape ?? '']?.noun ?? 'label'}
          onChoose={(label) => change(addEdge(definition, pending.from, pending.to, label))}
          onClose={() => setPending(null)}
        />
      ) : null}
    </div>
  );
}
