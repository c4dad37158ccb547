import { type FieldErrors, type MapRule, TRANSFORM_NAMES } from '@weft/schema';
import { useState } from 'react';
import { FieldErrorList } from '../../field-errors';
import { PathCombobox } from './path-combobox';

type Props = {
  rule: MapRule;
  index: number;
  count: number;
  readOnly: boolean;
  errors: FieldErrors;
  previewErrors: string[];
  /** Paths offered while typing the source (from the sample, upstream endpoints) and the target (downstream endpoints). */
  sourceSuggestions?: string[];
  targetSuggestions?: string[];
  onChange(rule: MapRule): void;
  onMove(delta: -1 | 1): void;
  onDelete(): void;
};

function sourceText(rule: MapRule): string {
  return rule.sources ? rule.sources.join(', ') : (rule.source ?? '');
}

/** Several comma-separated paths become `sources`, one becomes `source`, none neither (a constant rule). */
function withSource(rule: MapRule, text: string): MapRule {
  const { source: _s, sources: _ss, ...rest } = rule;
  const paths = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (paths.length > 1) return { ...rest, sources: paths };
  if (paths.length === 1) return { ...rest, source: paths[0] };
  return rest;
}

function argsText(args: Record<string, unknown> | undefined): string {
  if (!args || Object.keys(args).length === 0) return '';
  return Object.entries(args)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
}

/** One map rule: source, target, and its transforms as chips with their arguments. */
export function RuleRow({
  rule,
  index,
  count,
  readOnly,
  errors,
  previewErrors,
  sourceSuggestions = [],
  targetSuggestions = [],
  onChange,
  onMove,
  onDelete,
}: Props) {
  const n = index + 1;
  const [source, setSource] = useState(() => sourceText(rule));
  const [fn, setFn] = useState<string>('uppercase');
  const [args, setArgs] = useState('');
  const [argsProblem, setArgsProblem] = useState<string | null>(null);
  const transforms = rule.transforms ?? [];
  const invalid = Object.keys(errors).length > 0 || previewErrors.length > 0;

  const addTransform = () => {
    let parsed: Record<string, unknown> | undefined;
    if (args.trim() !== '') {
      try {
        const value: unknown = JSON.parse(args);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('must be a JSON object');
        parsed = value as Record<string, unknown>;
      } catch (err) {
        setArgsProblem(`Arguments ${(err as Error).message}, e.g. {"separator": " "}`);
        return;
      }
    }
    setArgsProblem(null);
    setArgs('');
    onChange({ ...rule, transforms: [...transforms, parsed ? { fn, args: parsed } : { fn }] });
  };

  return (
    <tbody className={invalid ? 'rule invalid' : 'rule'} data-testid={`rule-${index}`}>
      <tr>
        <th scope="row">{n}</th>
        <td>
          <PathCombobox
            label={`Source of rule ${n}`}
            value={source}
            suggestions={sourceSuggestions}
            multiple
            readOnly={readOnly}
            placeholder="*.first_name"
            onChange={(text) => {
              setSource(text);
              onChange(withSource(rule, text));
            }}
          />
        </td>
        <td>
          <PathCombobox
            label={`Target of rule ${n}`}
            value={rule.target}
            suggestions={targetSuggestions}
            readOnly={readOnly}
            placeholder="*.firstName"
            onChange={(text) => onChange({ ...rule, target: text })}
          />
        </td>
        <td className="actions">
          {readOnly ? null : (
            <>
              <button type="button" aria-label={`Move rule ${n} up`} disabled={index === 0} onClick={() => onMove(-1)}>
                ↑
              </button>
              <button type="button" aria-label={`Move rule ${n} down`} disabled={index === count - 1} onClick={() => onMove(1)}>
                ↓
              </button>
              <button type="button" aria-label={`Delete rule ${n}`} onClick={onDelete}>
                ✕
              </button>
            </>
          )}
        </td>
      </tr>
      <tr className="transforms">
        <td />
        <td colSpan={3}>
          <ul className="chips" aria-label={`Transforms of rule ${n}`}>
            {transforms.map((t, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a transform's identity is its position
              <li key={j} className="chip">
                <span>
                  {t.fn}
                  {t.args ? <span className="args">({argsText(t.args)})</span> : null}
                </span>
                {readOnly ? null : (
                  <button
                    type="button"
                    aria-label={`Remove transform ${t.fn} from rule ${n}`}
                    onClick={() => onChange({ ...rule, transforms: transforms.filter((_, k) => k !== j) })}
                  >
                    ✕
                  </button>
                )}
              </li>
            ))}
          </ul>
          {readOnly ? null : (
            <div className="row add-transform">
              <select aria-label={`Transform to add to rule ${n}`} value={fn} onChange={(e) => setFn(e.target.value)}>
                {TRANSFORM_NAMES.map((name) => (
                  <option key={name}>{name}</option>
                ))}
              </select>
              <input
                className="grow"
                aria-label={`Arguments (JSON) of the transform for rule ${n}`}
                value={args}
                placeholder='arguments, e.g. {"separator": " "}'
                onChange={(e) => setArgs(e.target.value)}
              />
              <button type="button" onClick={addTransform} aria-label={`Add transform to rule ${n}`}>
                Add transform
              </button>
            </div>
          )}
          {argsProblem ? (
            <p className="error" role="alert">
              {argsProblem}
            </p>
          ) : null}
          <FieldErrorList errors={errors} />
          {previewErrors.length ? (
            <ul className="field-errors preview-errors" data-testid={`rule-${index}-preview-errors`}>
              {previewErrors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
        </td>
      </tr>
    </tbody>
  );
}
