import { type FormEvent, useState } from 'react';
import { api } from '../../api/endpoints';
import type { Flow } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { shortId } from '../../components/format';
import { StatusBadge } from '../../components/status-badge';
import { useAsync } from '../../components/use-async';
import { Link, navigate } from '../../router';

export function FlowsPage() {
  const [search, setSearch] = useState('');
  const needle = search.trim();
  // The server searches names (case-insensitive substring), so flows beyond the first page are found too.
  const flows = useAsync(() => api.listFlows({ name: needle || undefined }), [needle]);
  const [newName, setNewName] = useState('');
  const [error, setError] = useState<unknown>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const flow = await api.createFlow({ name: newName.trim() });
      navigate(`/flows/${flow.id}`);
    } catch (err) {
      setError(err);
    }
  };

  const toggle = async (flow: Flow) => {
    setError(null);
    try {
      await api.patchFlow(flow.id, { enabled: !flow.enabled });
      flows.reload();
    } catch (err) {
      setError(err);
    }
  };

  const shown = flows.data?.data ?? [];

  return (
    <main>
      <div className="page-head">
        <h1>Flows</h1>
        <form onSubmit={create} className="inline-form">
          <label>
            New flow name
            <input required maxLength={200} value={newName} onChange={(e) => setNewName(e.target.value)} />
          </label>
          <button type="submit" className="primary">
            Create flow
          </button>
        </form>
      </div>
      <label className="search">
        Search by name
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      <ErrorMessage error={error ?? flows.error} />
      {flows.data && shown.length === 0 ? (
        <p className="empty">{needle ? 'No flow matches that name.' : 'No flows yet. Give your first flow a name above to create it.'}</p>
      ) : null}
      {shown.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Enabled</th>
              <th scope="col">Deployed version</th>
              <th scope="col">Versions</th>
              <th scope="col">Latest run</th>
              <th scope="col">Labels</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((flow) => (
              <tr key={flow.id}>
                <td>
                  <Link to={`/flows/${flow.id}`}>{flow.name}</Link>
                </td>
                <td>
                  <CopyableId id={flow.id} label={`id of flow ${flow.name}`} />
                </td>
                <td>
                  <label className="toggle">
                    <input type="checkbox" checked={flow.enabled} onChange={() => void toggle(flow)} />
                    <span className="visually-hidden">Enabled: {flow.name}</span>
                    <span aria-hidden="true">{flow.enabled ? 'On' : 'Off'}</span>
                  </label>
                </td>
                <td>
                  {flow.deployed_version_id ? <code title={flow.deployed_version_id}>{shortId(flow.deployed_version_id)}</code> : '—'}
                </td>
                <td>{flow.versions_count}</td>
                <td>
                  <StatusBadge status={flow.latest_run_status} />
                </td>
                <td>
                  {flow.labels.map((l) => (
                    <span key={l} className="chip">
                      {l}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
