import { type FormEvent, useState } from 'react';
import { request, requestBlob } from '../../api/client';
import type { List } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { CsvImport } from '../../components/csv-import';
import { saveBlob } from '../../components/download';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
import { type Column, Table } from '../../components/generic-table';
import { Pager } from '../../components/pager';
import { RenameForm } from '../../components/rename-form';
import { useAction } from '../../components/use-action';
import { useAsync } from '../../components/use-async';
import { useCanWrite } from '../../components/use-can-write';
import { Link, navigate } from '../../router';

interface LookupTable {
  id: string;
  name: string;
  description: string | null;
  row_count: number;
  created_at: string;
  updated_at: string;
}
interface LookupRow {
  left: string;
  right: string;
}

const enc = encodeURIComponent;
const PER_PAGE = 25;

/** A lookup table: its rows a page at a time, to add, change and remove; CSV import and export. */
export function LookupTablePage({ tableId }: { tableId: string }) {
  const canWrite = useCanWrite();
  const [page, setPage] = useState(1);
  const table = useAsync(() => request<{ data: LookupTable }>(`/lookup-tables/${enc(tableId)}`).then((r) => r.data), [tableId]);
  const rows = useAsync(
    () => request<List<LookupRow>>(`/lookup-tables/${enc(tableId)}/rows`, { query: { page, per_page: PER_PAGE } }),
    [tableId, page],
  );
  const [editing, setEditing] = useState<{ left: string; right: string } | null>(null);
  const [adding, setAdding] = useState({ left: '', right: '' });
  const reload = () => {
    table.reload();
    rows.reload();
  };
  const { act, error, notice, setNotice } = useAction(reload);

  if (!table.data)
    return table.error ? (
      <ErrorMessage error={table.error} title="The lookup table could not be loaded" />
    ) : (
      <p className="muted">Loading…</p>
    );
  const t = table.data;
  const list = rows.data?.data ?? [];

  const upsert = (row: LookupRow) => request(`/lookup-tables/${enc(t.id)}/rows`, { method: 'POST', body: { rows: [row] } });
  const add = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await upsert(adding);
      setAdding({ left: '', right: '' });
      return `Added the row ${adding.left} → ${adding.right}.`;
    });
  };
  const saveEdit = (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    void act(async () => {
      await upsert(editing);
      setEditing(null);
      return `Saved the row ${editing.left}.`;
    });
  };
  const removeRow = (left: string) =>
    act(async () => {
      await request(`/lookup-tables/${enc(t.id)}/rows/${enc(left)}`, { method: 'DELETE' });
      return `Removed the row ${left}.`;
    });
  const exportCsv = () =>
    act(async () => {
      saveBlob(await requestBlob(`/lookup-tables/${enc(t.id)}/export`), `${t.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv`);
      return 'Exported the rows as CSV.';
    });
  const removeTable = () =>
    act(async () => {
      if (!window.confirm(`Delete the lookup table "${t.name}" and its rows?`)) return '';
      await request(`/lookup-tables/${enc(t.id)}`, { method: 'DELETE' });
      navigate('/lookup-tables');
      return '';
    });
  const columns: Column<LookupRow>[] = [
    { label: 'Left', render: (row) => <code>{row.left}</code> },
    {
      label: 'Right',
      render: (row) =>
        editing?.left === row.left ? (
          <form onSubmit={saveEdit} className="row">
            <input
              aria-label={`Right value of ${row.left}`}
              value={editing.right}
              maxLength={1000}
              onChange={(e) => setEditing({ left: row.left, right: e.target.value })}
            />
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </form>
        ) : (
          <code>{row.right}</code>
        ),
    },
  ];
  if (canWrite)
    columns.push({
      label: 'Actions',
      render: (row) => (
        <div className="row">
          <button type="button" onClick={() => setEditing(row)} aria-label={`Edit ${row.left}`}>
            Edit
          </button>
          <button type="button" className="danger" onClick={() => void removeRow(row.left)} aria-label={`Delete ${row.left}`}>
            Delete
          </button>
        </div>
      ),
    });

  return (
    <main>
      <p className="flow-id">
        <span>Lookup table id</span> <CopyableId id={t.id} label="lookup table id" />
      </p>
      <div className="page-head">
        <h1>{t.name}</h1>
        <div className="row">
          <Link to="/lookup-tables">All lookup tables</Link>
          <button type="button" onClick={() => void exportCsv()}>
            Export CSV
          </button>
          {canWrite ? (
            <button type="button" className="danger" onClick={() => void removeTable()}>
              Delete table
            </button>
          ) : null}
        </div>
      </div>
      <p className="muted">
        {t.description ? `${t.description} · ` : ''}
        <span data-testid="row-count">{t.row_count}</span> rows · changed {formatTime(t.updated_at)}. Map steps read it with the lookup
        transform (table “{t.name}”), left to right or right to left.
      </p>
      {canWrite ? (
        <RenameForm
          key={t.updated_at}
          api={`/lookup-tables/${enc(t.id)}`}
          noun="lookup table"
          name={t.name}
          description={t.description}
          onSaved={() => {
            setNotice('Saved the name and description.');
            reload();
          }}
        />
      ) : null}
      <ErrorMessage error={error} />
      <p role="status" className="notice">
        {notice}
      </p>
      <h2>Rows</h2>
      <ErrorMessage error={rows.error} title="The rows could not be loaded" />
      {rows.data && list.length === 0 ? (
        <p className="empty">No rows yet. {canWrite ? 'Add one below or import a CSV file with the header left,right.' : ''}</p>
      ) : null}
      {list.length > 0 ? <Table rows={list} columns={columns} rowKey={(row) => row.left} testId="lookup-rows" /> : null}
      <Pager meta={rows.data?.meta} onPage={setPage} label="Rows" />
      {canWrite ? (
        <>
          <form onSubmit={add} className="inline-form" aria-label="Add a row">
            <label>
              New left value
              <input required maxLength={1000} value={adding.left} onChange={(e) => setAdding({ ...adding, left: e.target.value })} />
            </label>
            <label>
              New right value
              <input maxLength={1000} value={adding.right} onChange={(e) => setAdding({ ...adding, right: e.target.value })} />
            </label>
            <button type="submit">Add row</button>
          </form>
          <LookupCsvImport tableId={t.id} onDone={reload} />
        </>
      ) : null}
    </main>
  );
}

function LookupCsvImport({ tableId, onDone }: { tableId: string; onDone(): void }) {
  const [mode, setMode] = useState<'replace' | 'merge'>('replace');
  return (
    <CsvImport
      api={`/lookup-tables/${enc(tableId)}/import`}
      title="Import rows from a CSV file"
      hint="header left,right; at most 5 MB"
      query={{ mode }}
      options={
        <label>
          The file's rows
          <select value={mode} onChange={(e) => setMode(e.target.value as 'replace' | 'merge')}>
            <option value="replace">replace every row</option>
            <option value="merge">are added, or update rows with the same left value</option>
          </select>
        </label>
      }
      onDone={(result) => {
        onDone();
        const count = (result as { data?: LookupTable }).data?.row_count;
        return `Imported the file: the table has ${count ?? 'its'} rows.`;
      }}
    />
  );
}
