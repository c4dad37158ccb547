import { type ChangeEvent, type FormEvent, useState } from 'react';
import { api } from '../../api/endpoints';
import type { Flow, FlowExport } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { fileSafe, saveBlob } from '../../components/download';
import { ErrorMessage } from '../../components/error-message';
import { shortId } from '../../components/format';
import { Pager } from '../../components/pager';
import { StatusBadge } from '../../components/status-badge';
import { useAction } from '../../components/use-action';
import { useAsync } from '../../components/use-async';
import { Link, navigate } from '../../router';

const PER_PAGE = 25;
type Tri = '' | 'true' | 'false';
const tri = (v: Tri) => (v === '' ? undefined : v === 'true');

/** The company's flows: search and filters, create, import, and per flow enable, duplicate and export. */
export function FlowsPage() {
  const [search, setSearch] = useState('');
  const [enabled, setEnabled] = useState<Tri>('');
  const [deployed, setDeployed] = useState<Tri>('');
  const [label, setLabel] = useState('');
  const [page, setPage] = useState(1);
  const needle = search.trim();
  const query = { name: needle || undefined, enabled: tri(enabled), deployed: tri(deployed), label: label.trim() || undefined };
  // The server searches and filters, so flows beyond the first page are found too.
  const flows = useAsync(() => api.listFlows({ ...query, page, per_page: PER_PAGE }), [query, page]);
  const [newName, setNewName] = useState('');
  // An action on the list reloads it.
  const { act, error, setError, notice } = useAction(flows.reload);
  const filtering = Object.values(query).some((v) => v !== undefined);
  const filter =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPage(1);
    };

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

  const toggle = (flow: Flow) =>
    act(async () => {
      await api.patchFlow(flow.id, { enabled: !flow.enabled });
      return `${flow.name} is ${flow.enabled ? 'disabled' : 'enabled'}.`;
    });

  // A copy starts from the flow's draft, undeployed and disabled, so it never runs by surprise.
  const duplicate = (flow: Flow) =>
    act(async () => {
      const doc = await api.exportFlow(flow.id);
      const draft = doc.versions?.find((v) => v.status === 'draft') ?? doc.versions?.[0];
      const copy = await api.createFlow({
        name: `${flow.name} (copy)`.slice(0, 200),
        definition: draft?.definition,
        labels: flow.labels,
        priority: flow.priority,
      });
      return `Duplicated as “${copy.name}”.`;
    });

  const exportFlow = (flow: Flow) =>
    act(async () => {
      const doc = await api.exportFlow(flow.id);
      saveBlob(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }), `${fileSafe(flow.name)}.weft.json`);
      return `Exported ${flow.name}.`;
    });

  const importFile = (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.target;
    const file = input.files?.[0];
    if (!file) return;
    void act(async () => {
      let doc: FlowExport;
      try {
        doc = JSON.parse(await file.text()) as FlowExport;
      } catch {
        throw new Error(`${file.name} is not JSON: choose a file exported from Weft (Export on this page).`);
      } finally {
        input.value = '';
      }
      const flow = await api.importFlow(doc);
      return `Imported “${flow.name}”.`;
    });
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
        <label className="file-button">
          Import a flow (export file)
          <input type="file" accept="application/json,.json" onChange={importFile} />
        </label>
      </div>
      <div className="filters">
        <label className="search">
          Search by name
          <input type="search" value={search} onChange={(e) => filter(setSearch)(e.target.value)} />
        </label>
        <label>
          Enabled
          <select value={enabled} onChange={(e) => filter(setEnabled)(e.target.value as Tri)}>
            <option value="">Any</option>
            <option value="true">Enabled</option>
            <option value="false">Disabled</option>
          </select>
        </label>
        <label>
          Deployed
          <select value={deployed} onChange={(e) => filter(setDeployed)(e.target.value as Tri)}>
            <option value="">Any</option>
            <option value="true">Deployed</option>
            <option value="false">Never deployed</option>
          </select>
        </label>
        <label>
          Label
          <input value={label} onChange={(e) => filter(setLabel)(e.target.value)} />
        </label>
      </div>
      {notice ? (
        <p role="status" className="notice-banner">
          {notice}
        </p>
      ) : null}
      <ErrorMessage error={error ?? flows.error} />
      {flows.data && shown.length === 0 ? (
        <p className="empty">
          {filtering ? 'No flow matches these filters.' : 'No flows yet. Give your first flow a name above to create it.'}
        </p>
      ) : null}
      {shown.length > 0 ? (
        <div className="table-scroll">
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
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((flow) => (
                <tr key={flow.id} data-testid={`flow-row-${flow.name}`}>
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
                  <td className="actions">
                    <button type="button" onClick={() => void duplicate(flow)} aria-label={`Duplicate ${flow.name}`}>
                      Duplicate
                    </button>
                    <button type="button" onClick={() => void exportFlow(flow)} aria-label={`Export ${flow.name}`}>
                      Export
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager meta={flows.data?.meta} onPage={setPage} label="Flows" />
    </main>
  );
}
