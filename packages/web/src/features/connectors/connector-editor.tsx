import { type FormEvent, useState } from 'react';
import type { Connector, ConnectorBody, ConnectorEndpoint, ConnectorProtocol } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';

const PROTOCOLS: ConnectorProtocol[] = ['http', 'postgres', 'mysql'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const DATA_TYPES = ['json', 'xml', 'csv', 'txt'];

const EMPTY: ConnectorBody = { name: '', protocol: 'http', base_url: '', variables: {}, auth_methods: [], endpoints: [] };
const newEndpoint = (): ConnectorEndpoint => ({ name: '', method: 'GET', path: '/', data_type: 'json', direction: 'receive' });

/**
 * A connector's settings: name, protocol, base URL, endpoints as rows (fields the rows do not show,
 * such as pagination, are kept as they were), variables and auth methods as JSON. Auth methods
 * hold settings only; secrets belong to instances.
 */
export function ConnectorEditor({
  connector,
  submitLabel,
  onSave,
}: {
  connector?: Connector;
  submitLabel: string;
  onSave(body: ConnectorBody): Promise<void>;
}) {
  const start = connector ?? EMPTY;
  const [name, setName] = useState(start.name);
  const [protocol, setProtocol] = useState<ConnectorProtocol>(start.protocol);
  const [baseUrl, setBaseUrl] = useState(start.base_url);
  const [endpoints, setEndpoints] = useState<ConnectorEndpoint[]>(start.endpoints);
  const [variables, setVariables] = useState(JSON.stringify(start.variables, null, 2));
  const [auth, setAuth] = useState(JSON.stringify(start.auth_methods, null, 2));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const setEndpoint = (i: number, change: Partial<ConnectorEndpoint>) =>
    setEndpoints(endpoints.map((e, j) => (j === i ? { ...e, ...change } : e)));

  const parse = <T,>(text: string, what: string, fallback: T): T => {
    if (!text.trim()) return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${what} is not valid JSON.`);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await onSave({
        name: name.trim(),
        protocol,
        base_url: baseUrl.trim(),
        variables: parse(variables, 'Variables', {}),
        auth_methods: parse(auth, 'Auth methods', []),
        endpoints,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="card stack" aria-label={connector ? `Connector ${connector.name}` : 'New connector'}>
      <div className="row wrap">
        <label className="grow">
          Connector name
          <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Protocol
          <select value={protocol} onChange={(e) => setProtocol(e.target.value as ConnectorProtocol)}>
            {PROTOCOLS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="grow">
          Base URL
          <input required value={baseUrl} placeholder="https://{{tenant}}.api.example.com" onChange={(e) => setBaseUrl(e.target.value)} />
        </label>
      </div>
      <fieldset className="stack">
        <legend>Endpoints</legend>
        {endpoints.length === 0 ? <p className="muted">No endpoints yet.</p> : null}
        {endpoints.map((ep, i) => {
          const n = i + 1;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position
            <div className="row wrap endpoint-row" key={i}>
              <label>
                Name of endpoint {n}
                <input required value={ep.name} onChange={(e) => setEndpoint(i, { name: e.target.value })} />
              </label>
              <label>
                Method of endpoint {n}
                <select value={ep.method} onChange={(e) => setEndpoint(i, { method: e.target.value })}>
                  {METHODS.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </label>
              <label className="grow">
                Path of endpoint {n}
                <input value={ep.path} onChange={(e) => setEndpoint(i, { path: e.target.value })} />
              </label>
              <label>
                Data type of endpoint {n}
                <select value={ep.data_type} onChange={(e) => setEndpoint(i, { data_type: e.target.value })}>
                  {DATA_TYPES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              </label>
              <label>
                Direction of endpoint {n}
                <select value={ep.direction} onChange={(e) => setEndpoint(i, { direction: e.target.value as 'receive' | 'send' })}>
                  <option value="receive">receive</option>
                  <option value="send">send</option>
                </select>
              </label>
              <button type="button" aria-label={`Remove endpoint ${n}`} onClick={() => setEndpoints(endpoints.filter((_, j) => j !== i))}>
                ✕
              </button>
            </div>
          );
        })}
        <div>
          <button type="button" onClick={() => setEndpoints([...endpoints, newEndpoint()])}>
            Add endpoint
          </button>
        </div>
      </fieldset>
      <details>
        <summary>Variables and auth methods (JSON)</summary>
        <div className="stack">
          <label>
            Variables (JSON: {'{"tenant": {"description": "…", "default": "…"}}'})
            <textarea rows={4} className="code" value={variables} onChange={(e) => setVariables(e.target.value)} />
          </label>
          <label>
            Auth methods (JSON: {'[{"type": "bearer"}, {"type": "api_key", "in": "header", "param_name": "X-Api-Key"}]'})
            <textarea rows={5} className="code" value={auth} onChange={(e) => setAuth(e.target.value)} />
          </label>
        </div>
      </details>
      <ErrorMessage error={error} />
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
