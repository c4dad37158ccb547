import { useState } from 'react';
import { api } from '../../api/endpoints';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { useAsync } from '../../components/use-async';
import { Link, navigate } from '../../router';
import { ConnectorEditor } from './connector-editor';
import { InstancesList } from './instances-page';

/** One connector: edit its settings and endpoints, see and add its instances, delete it. */
export function ConnectorPage({ connectorId }: { connectorId: string }) {
  const state = useAsync(() => api.getConnector(connectorId), [connectorId]);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);

  if (!state.data)
    return state.error ? <ErrorMessage error={state.error} title="The connector could not be loaded" /> : <p className="muted">Loading…</p>;
  const connector = state.data;

  const remove = async () => {
    if (!window.confirm(`Delete the connector "${connector.name}"?`)) return;
    setError(null);
    try {
      await api.deleteConnector(connector.id);
      navigate('/connectors');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <main>
      <p className="flow-id">
        <span>Connector id</span> <CopyableId id={connector.id} label="connector id" />
      </p>
      <div className="page-head">
        <h1>{connector.name}</h1>
        <div className="row">
          <Link to="/connectors">All connectors</Link>
          <button type="button" className="danger" onClick={() => void remove()}>
            Delete connector
          </button>
        </div>
      </div>
      <ErrorMessage error={error} />
      {notice ? (
        <p role="status" className="notice-banner">
          {notice}
        </p>
      ) : null}
      <ConnectorEditor
        key={`${connector.updated_at}:${version}`}
        connector={connector}
        submitLabel="Save connector"
        onSave={async (body) => {
          await api.updateConnector(connector.id, body);
          setNotice('Saved.');
          setVersion((v) => v + 1);
          state.reload();
        }}
      />
      <h2>Instances</h2>
      <InstancesList connectors={[connector]} connectorId={connector.id} />
    </main>
  );
}
