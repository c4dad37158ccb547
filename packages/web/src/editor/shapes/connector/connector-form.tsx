import { CONNECTOR_METHODS, type ConnectorConfig, type ConnectorMethod, type ConnectorRequest, type FieldErrors } from '@weft/schema';
import { useState } from 'react';
import { errorsUnder } from '../../definition';
import { FieldErrorList } from '../../field-errors';

type Props = { config: Partial<ConnectorConfig>; onChange(config: ConnectorConfig): void; readOnly: boolean; errors: FieldErrors };

function withoutEmpty<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== '')) as T;
}

/** The inline HTTP request of a `connector` step: method, URL, headers, body, time limit, retries. */
export function ConnectorForm({ config, onChange, readOnly, errors }: Props) {
  const request = config.request ?? { method: 'POST', url: '' };
  // Header rows live here so a half-typed row (no name yet) is not lost on each change.
  const [headers, setHeaders] = useState<[string, string][]>(() => Object.entries(request.headers ?? {}));

  const emit = (change: Partial<ConnectorRequest>, top: Partial<ConnectorConfig> = {}, rows = headers) => {
    const named = rows.filter(([name]) => name.trim() !== '');
    const nextRequest = withoutEmpty({
      ...request,
      ...change,
      headers: named.length ? Object.fromEntries(named.map(([n, v]) => [n.trim(), v])) : undefined,
    }) as ConnectorRequest;
    onChange(withoutEmpty({ ...config, ...top, request: nextRequest }) as ConnectorConfig);
  };
  const setRows = (rows: [string, string][]) => {
    setHeaders(rows);
    emit({}, {}, rows);
  };
  const num = (value: string) => (value === '' ? undefined : Number(value));

  return (
    <fieldset className="stack" disabled={readOnly}>
      <div className="row">
        <label>
          Method
          <select value={request.method} onChange={(e) => emit({ method: e.target.value as ConnectorMethod })}>
            {CONNECTOR_METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label className="grow">
          URL
          <input
            value={request.url}
            placeholder="https://api.example.com/customers or [[flow.crm_url]]"
            onChange={(e) => emit({ url: e.target.value })}
          />
        </label>
      </div>
      <FieldErrorList errors={errorsUnder(errors, 'request.url')} />
      <fieldset className="stack">
        <legend>Headers</legend>
        {headers.map(([name, value], i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
          <div className="row" key={i}>
            <label>
              Header name
              <input value={name} onChange={(e) => setRows(headers.map((h, j) => (j === i ? [e.target.value, h[1]] : h)))} />
            </label>
            <label className="grow">
              Header value
              <input value={value} onChange={(e) => setRows(headers.map((h, j) => (j === i ? [h[0], e.target.value] : h)))} />
            </label>
            <button type="button" aria-label={`Remove header ${name || i + 1}`} onClick={() => setRows(headers.filter((_, j) => j !== i))}>
              ✕
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setHeaders([...headers, ['', '']])}>
          Add header
        </button>
      </fieldset>
      <label>
        Body template (empty: send the payload as it is)
        <textarea rows={4} className="code" value={request.body ?? ''} onChange={(e) => emit({ body: e.target.value })} />
      </label>
      <div className="row">
        <label>
          Time limit (seconds)
          <input
            type="number"
            min={1}
            max={3600}
            value={config.timeout_seconds ?? ''}
            onChange={(e) => emit({}, { timeout_seconds: num(e.target.value) })}
          />
        </label>
        <label>
          Retries
          <input type="number" min={0} max={2} value={config.retries ?? ''} onChange={(e) => emit({}, { retries: num(e.target.value) })} />
        </label>
      </div>
      <FieldErrorList errors={Object.fromEntries(Object.entries(errors).filter(([p]) => p !== 'request.url'))} />
    </fieldset>
  );
}
