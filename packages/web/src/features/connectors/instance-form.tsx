import { type FormEvent, useState } from 'react';
import type { Connector, Instance, InstanceBody } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';

/** How instances name an auth method: its name, or its type when unnamed (as the server does). */
export function authMethodKey(method: Record<string, unknown>): string {
  return typeof method.name === 'string' ? method.name : String(method.type);
}

/** The credential fields an auth method needs (packages/server/src/http/connectors/schema.ts). */
export function credentialFields(method: Record<string, unknown> | undefined): string[] {
  switch (method?.type) {
    case 'basic':
      return ['username', 'password'];
    case 'bearer':
      return ['token'];
    case 'api_key':
      return ['key'];
    case 'oauth2_client_credentials':
    case 'oauth2_authorization_code':
      return ['client_id', 'client_secret'];
    case 'custom_headers':
      return Array.isArray(method.headers) ? (method.headers as string[]) : [];
    default:
      return [];
  }
}

/**
 * An instance of a connector: its name, the connector's variables filled in, an auth method and
 * its credentials. Credentials are entered here and never shown back: editing an instance shows
 * only whether they are set, and leaving them empty keeps them.
 */
export function InstanceForm({
  connectors,
  instance,
  onSave,
  onCancel,
}: {
  connectors: Connector[];
  instance?: Instance;
  onSave(body: InstanceBody): Promise<void>;
  onCancel?(): void;
}) {
  const [connectorId, setConnectorId] = useState(instance?.connector_id ?? connectors[0]?.id ?? '');
  const [name, setName] = useState(instance?.name ?? '');
  const [variables, setVariables] = useState<Record<string, string>>(instance?.variables ?? {});
  const [authMethod, setAuthMethod] = useState(instance?.auth_method ?? '');
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const connector = connectors.find((c) => c.id === connectorId);
  const method = connector?.auth_methods.find((m) => authMethodKey(m) === authMethod);
  const fields = credentialFields(method);
  const methodChanged = (instance?.auth_method ?? '') !== authMethod;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    const filled = Object.fromEntries(Object.entries(credentials).filter(([k, v]) => v !== '' && fields.includes(k)));
    const body: InstanceBody = {
      name: name.trim(),
      variables: Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== '')),
      auth_method: authMethod || null,
    };
    if (!instance) body.connector_id = connectorId;
    // Empty credential inputs keep the stored ones; no auth method removes them.
    if (!authMethod) {
      if (instance?.credentials_set) body.credentials = null;
    } else if (Object.keys(filled).length > 0 || methodChanged) body.credentials = filled;
    try {
      await onSave(body);
      setCredentials({});
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="card stack" aria-label={instance ? `Instance ${instance.name}` : 'New instance'}>
      <div className="row wrap">
        {instance ? null : (
          <label>
            Connector
            <select value={connectorId} onChange={(e) => setConnectorId(e.target.value)} required>
              {connectors.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="grow">
          Instance name
          <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Auth method
          <select value={authMethod} onChange={(e) => setAuthMethod(e.target.value)}>
            <option value="">None</option>
            {(connector?.auth_methods ?? []).map((m) => (
              <option key={authMethodKey(m)} value={authMethodKey(m)}>
                {authMethodKey(m)}
                {m.name ? ` (${m.type})` : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      {connector && Object.keys(connector.variables).length > 0 ? (
        <fieldset className="row wrap">
          <legend>Variables</legend>
          {Object.entries(connector.variables).map(([key, v]) => (
            <label key={key} className="grow">
              {key}
              {v.description ? <span className="muted"> ({v.description})</span> : null}
              <input
                value={variables[key] ?? ''}
                placeholder={v.default}
                onChange={(e) => setVariables({ ...variables, [key]: e.target.value })}
              />
            </label>
          ))}
        </fieldset>
      ) : null}
      {fields.length > 0 ? (
        <fieldset className="row wrap">
          <legend>
            Credentials{' '}
            {instance?.credentials_set && !methodChanged ? (
              <span className="muted">(set; stored encrypted and never shown. Leave empty to keep them.)</span>
            ) : (
              <span className="muted">(stored encrypted and never shown again)</span>
            )}
          </legend>
          {fields.map((f) => (
            <label key={f} className="grow">
              Credential {f}
              <input
                type="password"
                autoComplete="new-password"
                value={credentials[f] ?? ''}
                onChange={(e) => setCredentials({ ...credentials, [f]: e.target.value })}
              />
            </label>
          ))}
        </fieldset>
      ) : null}
      <ErrorMessage error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy || !connectorId}>
          {instance ? 'Save instance' : 'Create instance'}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
