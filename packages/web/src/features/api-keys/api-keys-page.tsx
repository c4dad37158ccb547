import { type FormEvent, useState } from 'react';
import { api } from '../../api/endpoints';
import type { CreatedApiKey } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
import { useAsync } from '../../components/use-async';

/** The company's API keys: a new key is shown once, here, with a copy button; the list shows prefixes only. */
export function ApiKeysPage() {
  const keys = useAsync(() => api.listApiKeys(), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setCreated(await api.createApiKey(name.trim()));
      setName('');
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (id: string, keyName: string) => {
    if (!window.confirm(`Revoke the key "${keyName}"? Clients using it stop working at once.`)) return;
    setError(null);
    try {
      await api.revokeApiKey(id);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <main>
      <div className="page-head">
        <h1>API keys</h1>
        <form onSubmit={create} className="inline-form">
          <label>
            Key name
            <input required maxLength={200} value={name} placeholder="warehouse" onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" className="primary">
            Create key
          </button>
        </form>
      </div>
      <p className="muted">
        A key acts for your company with manager rights until revoked. Send it as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      {created ? (
        <div className="new-key" role="status">
          <p>
            <strong>Key “{created.name}” created.</strong> Copy it now: it is not shown again.
          </p>
          <CopyableId id={created.key} label="new API key" testId="new-api-key" />
        </div>
      ) : null}
      <ErrorMessage error={error ?? keys.error} />
      {keys.data && keys.data.length === 0 ? <p className="empty">No API keys yet.</p> : null}
      {keys.data && keys.data.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoked</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{formatTime(k.created_at)}</td>
                <td>{formatTime(k.last_used_at)}</td>
                <td>{formatTime(k.revoked_at)}</td>
                <td>
                  {k.revoked_at ? null : (
                    <button type="button" className="danger" onClick={() => void revoke(k.id, k.name)}>
                      Revoke <span className="visually-hidden">{k.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
