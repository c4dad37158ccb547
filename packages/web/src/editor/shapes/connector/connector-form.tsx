import { CONNECTOR_METHODS, type ConnectorConfig, type ConnectorMethod, type ConnectorRequest, type FieldErrors } from '@weft/schema';
import { useState } from 'react';
import { errorsUnder } from '../../definition';
import { FieldErrorList } from '../../field-errors';
import { EndpointPicker } from './endpoint-picker';

type Props = { config: Partial<ConnectorConfig>; onChange(config: ConnectorConfig): void; readOnly: boolean; errors: FieldErrors };

function withoutEmpty<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== '')) as T;
}

const isEndpointPath = (p: string) => /^(instance|endpoint|variables)/.test(p);

/**
 * A `connector` step: either an inline HTTP request (method, URL, headers, body) or an instance's
 * endpoint chosen from the API; then time limit and retries.
 */
export function ConnectorForm({ config, onChange, readOnly, errors }: Props) {
  const mode = config.request === undefined && (config.instance !== undefined || config.endpoint !== undefined) ? 'endpoint' : 'request';
  const [chosenMode, setChosenMode] = useState(mode);
  const { request: _r, instance: _i, endpoint: _e, variables: _v, ...common } = config;
  const num = (value: string) => (value === '' ? undefined : Number(value));
  const emitTop = (top: Partial<ConnectorConfig>) => onChange(withoutEmpty({ ...config, ...top }) as ConnectorConfig);

  const setMode = (next: 'request' | 'endpoint') => {
    setChosenMode(next);
    onChange((next === 'request' ? { ...common, request: { method: 'POST', url: '' } } : { ...common }) as ConnectorConfig);
  };
  const shown = chosenMode === 'endpoint' || mode === 'endpoint' ? 'endpoint' : 'request';

  return (
    <fieldset className="stack" disabled={readOnly}>
      <fieldset className="row">
        <legend>Call</legend>
        <label className="check">
          <input type="radio" name="connector-mode" checked={shown === 'request'} onChange={() => setMode('request')} />
          An inline request
        </label>
        <label className="check">
          <input type="radio" name="connector-mode" checked={shown === 'endpoint'} onChange={() => setMode('endpoint')} />
          An instance's endpoint
        </label>
      </fieldset>
      {shown === 'endpoint' ? (
        <>
          <EndpointPicker
            instance={config.instance}
            endpoint={config.endpoint}
            onChange={(c) => onChange(withoutEmpty({ ...common, variables: config.variables, ...c }) as ConnectorConfig)}
          />
          <VariableRows
            variables={config.variables ?? {}}
            onChange={(variables) =>
              onChange(
                withoutEmpty({
                  ...common,
                  instance: config.instance,
                  endpoint: config.endpoint,
                  variables: Object.keys(variables).length ? variables : undefined,
                }) as ConnectorConfig,
              )
            }
          />
          <FieldErrorList errors={Object.fromEntries(Object.entries(errors).filter(([p]) => isEndpointPath(p)))} />
        </>
      ) : (
        <RequestFields
          request={config.request ?? { method: 'POST', url: '' }}
          onChange={(request) => emitTop({ request })}
          errors={errorsUnder(errors, 'request')}
        />
      )}
      <div className="row">
        <label>
          Time limit (seconds)
          <input
            type="number"
            min={1}
            max={3600}
            value={config.timeout_seconds ?? ''}
            onChange={(e) => emitTop({ timeout_seconds: num(e.target.value) })}
          />
        </label>
        <label>
          Retries
          <input type="number" min={0} max={2} value={config.retries ?? ''} onChange={(e) => emitTop({ retries: num(e.target.value) })} />
        </label>
      </div>
      <FieldErrorList errors={Object.fromEntries(Object.entries(errors).filter(([p]) => !p.startsWith('request') && !isEndpointPath(p)))} />
    </fieldset>
  );
}

/** The inline request: method, URL, headers, body template. */
function RequestFields({
  request,
  onChange,
  errors,
}: {
  request: ConnectorRequest;
  onChange(request: ConnectorRequest): void;
  errors: FieldErrors;
}) {
  // Header rows live here so a half-typed row (no name yet) is not lost on each change.
  const [headers, setHeaders] = useState<[string, string][]>(() => Object.entries(request.headers ?? {}));

  const emit = (change: Partial<ConnectorRequest>, rows = headers) => {
    const named = rows.filter(([name]) => name.trim() !== '');
    onChange(
      withoutEmpty({
        ...request,
        ...change,
        headers: named.length ? Object.fromEntries(named.map(([n, v]) => [n.trim(), v])) : undefined,
      }) as ConnectorRequest,
    );
  };
  const setRows = (rows: [string, string][]) => {
    setHeaders(rows);
    emit({}, rows);
  };

  return (
    <>
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
      <FieldErrorList errors={errorsUnder(errors, 'url')} />
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
      <FieldErrorList errors={Object.fromEntries(Object.entries(errors).filter(([p]) => p !== 'url'))} />
    </>
  );
}

/** Endpoint variables: values (templates allowed) for the endpoint's `{{name}}` places and parameters. */
function VariableRows({ variables, onChange }: { variables: Record<string, string>; onChange(v: Record<string, string>): void }) {
  // Rows live here so a half-typed row (no name yet) is not lost on each change.
  const [rows, setRows] = useState<[string, string][]>(() => Object.entries(variables));
  const set = (next: [string, string][]) => {
    setRows(next);
    onChange(Object.fromEntries(next.filter(([n]) => n.trim() !== '').map(([n, v]) => [n.trim(), v])));
  };
  return (
    <fieldset className="stack">
      <legend>Endpoint variables</legend>
      {rows.map(([name, value], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
        <div className="row" key={i}>
          <label>
            Variable name
            <input value={name} onChange={(e) => set(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))} />
          </label>
          <label className="grow">
            Variable value
            <input value={value} onChange={(e) => set(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))} />
          </label>
          <button type="button" aria-label={`Remove variable ${name || i + 1}`} onClick={() => set(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <div>
        <button type="button" onClick={() => setRows([...rows, ['', '']])}>
          Add variable
        </button>
      </div>
    </fieldset>
  );
}
