import { ErrorMessage } from '../../../components/error-message';
import { useEndpointCatalog } from '../../endpoint-catalog';

type Props = {
  instance: string | undefined;
  endpoint: string | undefined;
  onChange(change: { instance?: string; endpoint?: string }): void;
};

/** Pickers for a connector step's instance (from the editor's catalog) and one of its connector's endpoints. */
export function EndpointPicker({ instance, endpoint, onChange }: Props) {
  const { data, error } = useEndpointCatalog();
  const instances = data?.instances;
  const connectors = data?.connectors ?? [];

  const chosen = instances?.find((i) => i.id === instance);
  const connector = connectors.find((c) => c.id === chosen?.connector_id);
  const endpoints = connector?.endpoints ?? [];
  const names = new Map(connectors.map((c) => [c.id, c.name]));

  if (error) return <ErrorMessage error={error} title="Instances could not be loaded" />;
  if (!instances) return <p className="muted">Loading instances…</p>;
  if (instances.length === 0) {
    return (
      <p className="empty">
        No instances yet. Create a connector and an instance of it (<a href="/connectors">Connectors</a>) first.
      </p>
    );
  }
  return (
    <div className="row wrap">
      <label className="grow">
        Instance
        <select value={instance ?? ''} onChange={(e) => onChange({ instance: e.target.value || undefined, endpoint: undefined })}>
          <option value="">Choose an instance…</option>
          {instance && !chosen ? <option value={instance}>{instance} (not found)</option> : null}
          {instances.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name} ({names.get(i.connector_id) ?? 'connector'})
            </option>
          ))}
        </select>
      </label>
      <label className="grow">
        Endpoint
        <select value={endpoint ?? ''} disabled={!chosen} onChange={(e) => onChange({ instance, endpoint: e.target.value || undefined })}>
          <option value="">{chosen ? 'Choose an endpoint…' : 'Choose an instance first'}</option>
          {endpoint && !endpoints.some((e) => e.name === endpoint) ? <option value={endpoint}>{endpoint} (not found)</option> : null}
          {endpoints.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name} ({e.method} {e.path}, {e.direction})
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
