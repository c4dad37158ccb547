import { type FieldErrors, type FlowDefinition, type MapConfig, type MapRule, PAYLOAD_FORMATS, type PayloadFormat } from '@weft/schema';
import { useMemo, useState } from 'react';
import type { MapPreview } from '../../../api/types';
import { errorsUnder } from '../../definition';
import { FieldErrorList } from '../../field-errors';
import { samplePaths, underKey } from './field-paths';
import { MapPreviewPanel, useSample } from './map-preview';
import { RuleRow } from './rule-row';
import { useEndpointPaths } from './use-endpoint-paths';

type Props = {
  stepKey: string;
  config: Partial<MapConfig>;
  onChange(config: MapConfig): void;
  readOnly: boolean;
  errors: FieldErrors;
  /** The flow around the step: connector endpoints before and after it suggest fields. */
  definition?: FlowDefinition;
};

let nextKey = 0;
const newKey = () => `r${++nextKey}`;

/** The map editor: rules (add, reorder, delete), settings, and a live preview on a sample. */
export function MapForm({ stepKey, config, onChange, readOnly, errors, definition }: Props) {
  const rules = config.rules ?? [];
  // Rules have no ids; these keys keep each row's half-typed input with it when rows move.
  const [keys, setKeys] = useState(() => rules.map(newKey));
  const [preview, setPreview] = useState<MapPreview | null>(null);
  const full: MapConfig = { ...config, rules };
  const [sample, setSample] = useSample(stepKey);
  const endpoints = useEndpointPaths(definition, stepKey);
  const fromSample = useMemo(() => samplePaths(sample.text, sample.format), [sample]);
  // Sample paths first: they are what the preview maps; then the upstream endpoint's response fields.
  const sourceSuggestions = useMemo(
    () => [...new Set(underKey([...fromSample, ...endpoints.source], config.wrap_input))],
    [fromSample, endpoints.source, config.wrap_input],
  );

  const setRules = (next: MapRule[], nextKeys: string[]) => {
    setKeys(nextKeys);
    onChange({ ...full, rules: next });
  };
  const move = (i: number, delta: -1 | 1) => {
    const j = i + delta;
    const r = [...rules];
    const k = [...keys];
    [r[i], r[j]] = [r[j]!, r[i]!];
    [k[i], k[j]] = [k[j]!, k[i]!];
    setRules(r, k);
  };
  const setting = (key: 'wrap_input' | 'wrap_output' | 'output_format', value: string) => {
    const next: MapConfig = { ...full };
    if (value === '') delete next[key];
    else (next as Record<string, unknown>)[key] = value;
    onChange(next);
  };

  return (
    <div className="map-form stack">
      <table className="rules">
        <caption>Rules, applied in order</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Source</th>
            <th scope="col">Target</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        {rules.map((rule, i) => (
          <RuleRow
            key={keys[i] ?? i}
            rule={rule}
            index={i}
            count={rules.length}
            readOnly={readOnly}
            errors={errorsUnder(errors, `rules[${i}]`)}
            previewErrors={(preview?.errors ?? []).filter((e) => e.rule === i).map((e) => e.message)}
            sourceSuggestions={sourceSuggestions}
            targetSuggestions={endpoints.target}
            onChange={(r) =>
              setRules(
                rules.map((old, j) => (j === i ? r : old)),
                keys,
              )
            }
            onMove={(d) => move(i, d)}
            onDelete={() =>
              setRules(
                rules.filter((_, j) => j !== i),
                keys.filter((_, j) => j !== i),
              )
            }
          />
        ))}
      </table>
      {rules.length === 0 ? (
        <p className="muted">No rules yet. A rule copies a source path of the input to a target path of the output.</p>
      ) : null}
      {readOnly ? null : (
        <button type="button" onClick={() => setRules([...rules, { source: '', target: '' }], [...keys, newKey()])}>
          Add rule
        </button>
      )}
      <FieldErrorList errors={Object.fromEntries(Object.entries(errors).filter(([p]) => !p.startsWith('rules[')))} />
      <details className="map-settings" open={Boolean(config.output_format || config.wrap_input || config.wrap_output)}>
        <summary>Output format and wrapping</summary>
        <fieldset className="row" disabled={readOnly}>
          <legend className="visually-hidden">Output format and wrapping</legend>
          <label>
            Output format
            <select value={config.output_format ?? ''} onChange={(e) => setting('output_format', e.target.value as PayloadFormat | '')}>
              <option value="">json (default)</option>
              {PAYLOAD_FORMATS.filter((f) => f !== 'json').map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <label>
            Wrap input under key
            <input value={config.wrap_input ?? ''} onChange={(e) => setting('wrap_input', e.target.value)} />
          </label>
          <label>
            Wrap output under key
            <input value={config.wrap_output ?? ''} onChange={(e) => setting('wrap_output', e.target.value)} />
          </label>
        </fieldset>
      </details>
      <MapPreviewPanel config={full} sample={sample} onSample={setSample} onResult={setPreview} />
    </div>
  );
}
