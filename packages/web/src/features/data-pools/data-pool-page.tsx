import { useState } from 'react';
import { request, requestBlob } from '../../api/client';
import type { List } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { CsvImport } from '../../components/csv-import';
import { saveBlob } from '../../components/download';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
import { type Column, cell, Table } from '../../components/generic-table';
import { Pager } from '../../components/pager';
import { RenameForm } from '../../components/rename-form';
import { useAction } from '../../components/use-action';
import { useAsync } from '../../components/use-async';
import { useCanWrite } from '../../components/use-can-write';
import { Link, navigate } from '../../router';

interface DataPool {
  id: string;
  name: string;
  description: string | null;
  values_count: number;
  updated_at: string;
}
interface PoolValue {
  value: string;
  first_seen: string;
  last_seen: string;
}

const enc = encodeURIComponent;

const VALUE_COLUMNS: Column<PoolValue>[] = [
  { label: 'Value', render: (v) => <code>{v.value}</code> },
  { label: 'First seen', render: (v) => cell('first_seen', v.first_seen) },
  { label: 'Last seen', render: (v) => cell('last_seen', v.last_seen) },
];

/** A data pool: the values dedupe steps have seen (searchable, paged), CSV import and export, forget all. */
export function DataPoolPage({ poolId }: { poolId: string }) {
  const canWrite = useCanWrite();
  const [page, setPage] = useState(1);
  const [prefix, setPrefix] = useState('');
  const pool = useAsync(() => request<{ data: DataPool }>(`/data-pools/${enc(poolId)}`).then((r) => r.data), [poolId]);
  const values = useAsync(
    () =>
      request<List<PoolValue>>(`/data-pools/${enc(poolId)}/values`, {
        query: { page, per_page: 25, 'filter[value]': prefix.trim() || undefined },
      }),
    [poolId, page, prefix],
  );
  const reload = () => {
    pool.reload();
    values.reload();
  };
  const { act, error, notice, setNotice } = useAction(reload);

  if (!pool.data)
    return pool.error ? <ErrorMessage error={pool.error} title="The data pool could not be loaded" /> : <p className="muted">Loading…</p>;
  const p = pool.data;
  const list = values.data?.data ?? [];

  const exportCsv = () =>
    act(async () => {
      saveBlob(await requestBlob(`/data-pools/${enc(p.id)}/values/export`), `${p.name}.csv`);
      return 'Exported the values as CSV.';
    });
  const forget = () =>
    act(async () => {
      if (!window.confirm(`Forget every value of "${p.name}"? Dedupe steps will let them through again.`)) return '';
      const res = await request<{ data: { removed: number } }>(`/data-pools/${enc(p.id)}/values`, { method: 'DELETE' });
      return `Forgot ${res.data.removed} values.`;
    });
  const removePool = () =>
    act(async () => {
      if (!window.confirm(`Delete the data pool "${p.name}" and its values?`)) return '';
      await request(`/data-pools/${enc(p.id)}`, { method: 'DELETE' });
      navigate('/data-pools');
      return '';
    });

  return (
    <main>
      <p className="flow-id">
        <span>Data pool id</span> <CopyableId id={p.id} label="data pool id" />
      </p>
      <div className="page-head">
        <h1>{p.name}</h1>
        <div className="row">
          <Link to="/data-pools">All data pools</Link>
          <button type="button" onClick={() => void exportCsv()}>
            Export CSV
          </button>
          {canWrite ? (
            <>
              <button type="button" className="danger" onClick={() => void forget()}>
                Forget all values
              </button>
              <button type="button" className="danger" onClick={() => void removePool()}>
                Delete pool
              </button>
            </>
          ) : null}
        </div>
      </div>
      <p className="muted">
        {p.description ? `${p.description} · ` : ''}
        <span data-testid="values-count">{p.values_count}</span> values seen in the last 90 days · changed {formatTime(p.updated_at)}.
      </p>
      {canWrite ? (
        <RenameForm
          key={p.updated_at}
          api={`/data-pools/${enc(p.id)}`}
          noun="data pool"
          name={p.name}
          description={p.description}
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
      <h2>Values</h2>
      <div className="filters">
        <label>
          Values starting with
          <input
            value={prefix}
            onChange={(e) => {
              setPrefix(e.target.value);
              setPage(1);
            }}
          />
        </label>
      </div>
      <ErrorMessage error={values.error} title="The values could not be loaded" />
      {values.data && list.length === 0 ? (
        <p className="empty">
          {prefix.trim() ? 'No value starts with that.' : 'No values yet: a dedupe step adds the values it sees, or import a CSV file.'}
        </p>
      ) : null}
      {list.length > 0 ? <Table rows={list} columns={VALUE_COLUMNS} rowKey={(v) => v.value} testId="pool-values" /> : null}
      <Pager meta={values.data?.meta} onPage={setPage} label="Values" />
      {canWrite ? (
        <CsvImport
          api={`/data-pools/${enc(p.id)}/values/import`}
          title="Import values from a CSV file"
          hint="header value, optionally first_seen and last_seen; at most 5 MB"
          onDone={(result) => {
            reload();
            return `Imported ${(result as { data?: { imported?: number } }).data?.imported ?? 'the'} values.`;
          }}
        />
      ) : null}
    </main>
  );
}
