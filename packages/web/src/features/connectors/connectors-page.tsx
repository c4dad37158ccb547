import { useState } from 'react';
import { api } from '../../api/endpoints';
import { ErrorMessage } from '../../components/error-message';
import { useAsync } from '../../components/use-async';
import { Link, navigate } from '../../router';
import { ConnectorEditor } from './connector-editor';
import { OpenApiImport } from './openapi-import';

/** The company's connectors (systems Weft talks to) with their endpoints; create one here, edit it on its page. */
export function ConnectorsPage() {
  const connectors = useAsync(() => api.listConnectors(), []);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const rows = connectors.data ?? [];

  return (
    <main>
      <div className="page-head">
        <h1>Connectors</h1>
        <div className="row">
          <Link to="/instances">Instances</Link>
          <button type="button" onClick={() => setImporting(!importing)} aria-expanded={importing}>
            Import OpenAPI
          </button>
          <button type="button" className="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            New connector
          </button>
        </div>
      </div>
      {importing ? <OpenApiImport onImported={(connectorId) => navigate(`/connectors/${connectorId}`)} /> : null}
      {creating ? (
        <ConnectorEditor
          submitLabel="Create connector"
          onSave={async (body) => {
            const created = await api.createConnector(body);
            navigate(`/connectors/${created.id}`);
          }}
        />
      ) : null}
      <ErrorMessage error={connectors.error} />
      {connectors.data && rows.length === 0 ? (
        <p className="empty">
          No connectors yet. A connector describes a system (its base URL and endpoints); an instance adds your credentials.
        </p>
      ) : null}
      {rows.length > 0 ? (
        <div className="table-scroll">
          <table className="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Base URL</th>
                <th scope="col">Endpoints</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/connectors/${c.id}`}>{c.name}</Link>
                  </td>
                  <td>{c.protocol}</td>
                  <td>
                    <code>{c.base_url}</code>
                  </td>
                  <td>{c.endpoints.map((e) => `${e.method} ${e.name}`).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </main>
  );
}
