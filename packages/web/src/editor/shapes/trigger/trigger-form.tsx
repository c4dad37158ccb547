import type { FieldErrors, TriggerConfig } from '@weft/schema';
import { useId, useState } from 'react';
import { errorsUnder } from '../../definition';
import { FieldErrorList } from '../../field-errors';
import { JsonConfigForm } from '../json-form';
import { CRON_PRESETS, previewCron } from './cron';

type Props = { config: TriggerConfig; onChange(config: Record<string, unknown>): void; readOnly: boolean; errors: FieldErrors };

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** One schedule with what it means and its next fire times, or why it is refused. */
function ScheduleRow({
  n,
  value,
  readOnly,
  onChange,
  onRemove,
}: {
  n: number;
  value: string;
  readOnly: boolean;
  onChange(v: string): void;
  onRemove(): void;
}) {
  const preview = previewCron(value);
  const hintId = useId();
  return (
    <li className="stack schedule" data-testid={`schedule-${n}`}>
      <div className="row">
        <label className="grow">
          Schedule {n} (cron, UTC)
          <input
            className="code"
            value={value}
            readOnly={readOnly}
            aria-invalid={!!preview.problem}
            aria-describedby={hintId}
            onChange={(e) => onChange(e.target.value)}
          />
        </label>
        {readOnly ? null : (
          <button type="button" aria-label={`Remove schedule ${n}`} onClick={onRemove}>
            ✕
          </button>
        )}
      </div>
      <div id={hintId} className="cron-preview" aria-live="polite">
        {preview.problem ? (
          <p className="error">{preview.problem}</p>
        ) : (
          <>
            {preview.description ? <p>{preview.description} (UTC)</p> : null}
            <p className="muted">Next: {preview.next.map(utc).join(' · ')}</p>
          </>
        )}
      </div>
    </li>
  );
}

/** The trigger's cron schedules with a helper for each; webhook, callback and event settings stay as JSON. */
export function TriggerForm({ config, onChange, readOnly, errors }: Props) {
  const { schedules = [], ...rest } = config;
  const [preset, setPreset] = useState('');
  const setSchedules = (next: string[]) => onChange(next.length ? { ...rest, schedules: next } : rest);

  return (
    <div className="stack">
      <fieldset className="stack" disabled={readOnly}>
        <legend>Schedules</legend>
        {schedules.length === 0 ? <p className="muted">No schedules: the flow starts only through the API, webhooks or by hand.</p> : null}
        <ol className="plain stack">
          {schedules.map((cron, i) => (
            <ScheduleRow
              // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
              key={i}
              n={i + 1}
              value={cron}
              readOnly={readOnly}
              onChange={(v) => setSchedules(schedules.map((c, j) => (j === i ? v : c)))}
              onRemove={() => setSchedules(schedules.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
        {readOnly ? null : (
          <div className="row">
            <label className="grow">
              Start from
              <select value={preset} onChange={(e) => setPreset(e.target.value)}>
                <option value="">An empty schedule</option>
                {CRON_PRESETS.map((p) => (
                  <option key={p.cron} value={p.cron}>
                    {p.label} ({p.cron})
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={() => setSchedules([...schedules, preset])}>
              Add schedule
            </button>
          </div>
        )}
        <FieldErrorList errors={errorsUnder(errors, 'schedules')} />
      </fieldset>
      <details>
        <summary>Webhook, callback and broker event settings (JSON)</summary>
        <JsonConfigForm
          key={JSON.stringify(rest)}
          config={rest}
          readOnly={readOnly}
          onChange={(c) => onChange(schedules.length ? { ...c, schedules } : c)}
        />
      </details>
      <FieldErrorList errors={Object.fromEntries(Object.entries(errors).filter(([p]) => !p.startsWith('schedules')))} />
    </div>
  );
}
