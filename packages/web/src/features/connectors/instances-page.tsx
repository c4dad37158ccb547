import { useState } from 'react';
import { api } from '../../api/endpoints';
import type { Connector } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { useAsync } from '../../components/use-async';
import { Link } from '../../router';
import { authMethodKey, InstanceForm } from './instance-form';

/** Instances of `connectors` (of one connector when `connectorId` is given): list, create, edit, delete. */
export function InstancesList({ connectors, connectorId }: { connectors: Connector[]; connectorId?: string }) {
  const instances = useAsync(() => api.listInstances(connectorId), [connectorId]);
  const [editing, setEditing] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const names = new Map(connectors.map((c) => [c.id, c.name]));
  const byId = new Map(connectors.map((c) => [c.id, c]));
  const usesAuthorisationCode = (connectorId: string, authMethod: string | null) =>
    byId.get(connectorId)?.auth_methods.some((m) => authMethodKey(m) === authMethod && m.type === 'oauth2_authorization_code') ?? false;

  const test = async (instanceId: string, name: string) => {
    setError(null);
    setNotice(`Testing ${name}…`);
    try {
      const result = await api.testInstance(instanceId);
      const status = result.status === null ? 'no answer' : `status ${result.status}`;
      setNotice(
        result.ok
          ? `${name}: connected (${status}, ${result.duration_ms} ms).`
          : `${name}: failed (${status}): ${result.message ?? result.code ?? ''}`,
      );
    } catch (err) {
      setNotice('');
      setError(err);
    }
  };

  const authorise = async (instanceId: string) => {
    setError(null);
    try {
      window.location.assign(await api.authorizeUrl(instanceId));
    } catch (err) {
      setError(err);
    }
  };
  const rows = instances.data ?? [];

  const remove = async (id: string, name: string) => {
    if (!window.confirm(`Delete the instance "${name}"? Flows using it stop working.`)) return;
    setError(null);
    try {
      await api.deleteInstance(id);
      instances.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="stack" aria-label="Instances">
      <ErrorMessage error={error ?? instances.error} />
      {notice ? <p role="status">{notice}</p> : null}
      {instances.data && rows.length === 0 ? <p className="empty">No instances yet.</p> : null}
      {rows.length > 0 ? (
        <div className="table-scroll">
          <table className="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                {connectorId ? null : <th scope="col">Connector</th>}
                <th scope="col">Auth method</th>
                <th scope="col">Credentials</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i.id} data-testid={`instance-row-${i.name}`}>
                  <td>{i.name}</td>
                  <td>
                    <CopyableId id={i.id} label={`id of instance ${i.name}`} />
                  </td>
                  {connectorId ? null : (
                    <td>
                      <Link to={`/connectors/${i.connector_id}`}>{names.get(i.connector_id) ?? i.connector_id}</Link>
                    </td>
                  )}
                  <td>{i.auth_method ?? '—'}</td>
                  <td>{i.credentials_set ? `set (${i.credential_fields.join(', ')})` : 'none'}</td>
                  <td className="actions">
                    <button type="button" onClick={() => void test(i.id, i.name)} aria-label={`Test ${i.name}`}>
                      Test
                    </button>
                    {usesAuthorisationCode(i.connector_id, i.auth_method) ? (
                      <button type="button" onClick={() => void authorise(i.id)} aria-label={`Authorise ${i.name}`}>
                        Authorise
                      </button>
                    ) : null}
                    <button type="button" onClick={() => setEditing(editing === i.id ? null : i.id)} aria-label={`Edit ${i.name}`}>
                      Edit
                    </button>
                    <button type="button" className="danger" onClick={() => void remove(i.id, i.name)} aria-label={`Delete ${i.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing
        ? (() => {
            const instance = rows.find((i) => i.id === editing);
            return instance ? (
              <InstanceForm
                key={instance.id}
                connectors={connectors}
                instance={instance}
                onCancel={() => setEditing(null)}
                onSave={async (body) => {
                  await api.updateInstance(instance.id, body);
                  setEditing(null);
                  setNotice(`Saved ${body.name ?? instance.name}.`);
                  instances.reload();
                }}
              />
            ) : null;
          })()
        : null}
      {connectors.length === 0 ? (
        <p className="muted">
          Create a <Link to="/connectors">connector</Link> first.
        </p>
      ) : creating ? (
        <InstanceForm
          connectors={connectorId ? connectors.filter((c) => c.id === connectorId) : connectors}
          onCancel={() => setCreating(false)}
          onSave={async (body) => {
            const created = await api.createInstance(body);
            setCreating(false);
            setNotice(`Created ${created.name}.`);
            instances.reload();
          }}
        />
      ) : (
        <div>
          <button type="button" onClick={() => setCreating(true)}>
            New instance
          </button>
        </div>
      )}
    </section>
  );
}

/** Every instance of every connector. */
export function InstancesPage() {
  const connectors = useAsync(() => api.listConnectors(), []);
  return (
    <main>
      <div className="page-head">
        <h1>Instances</h1>
        <Link to="/connectors">Connectors</Link>
      </div>
      <p className="muted">An instance is a connector with your settings and credentials; connector steps call an instance's endpoint.</p>
      <ErrorMessage error={connectors.error} />
      {connectors.data ? <InstancesList connectors={connectors.data} /> : null}
    </main>
  );
}
