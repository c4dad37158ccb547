import { type ReactNode, useState } from 'react';
import { request } from '../../api/client';
import type { List } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { Pager } from '../../components/pager';
import { useAsync } from '../../components/use-async';
import { Link } from '../../router';
import { type Column, cell, columnsOf, Table } from './generic-table';
import { LookupImportForm, NotificationGroupForm } from './resource-forms';
import type { Resource } from './resources';

type Row = Record<string, unknown>;

const enc = encodeURIComponent;

/** The list of one resource, a page at a time; each name links to its page. */
export function ResourceListPage({ resource, actions }: { resource: Resource; actions?: ReactNode }) {
  const [page, setPage] = useState(1);
  const list = useAsync(() => request<List<Row>>(resource.api, { query: { page, per_page: 25 } }), [resource.api, page]);
  const rows = list.data?.data ?? [];
  const columns: Column<Row>[] = resource.columns.map((key, i) => ({
    label: key.replace(/_/g, ' '),
    render: (row) =>
      i === 0 ? <Link to={`${resource.path}/${enc(String(row.id))}`}>{String(row[key] ?? row.id)}</Link> : cell(key, row[key]),
  }));
  return (
    <main>
      <div className="page-head">
        <h1>{resource.title}</h1>
        {actions}
      </div>
      <p className="muted">{resource.intro}</p>
      <ErrorMessage error={list.error} />
      {list.data && rows.length === 0 ? <p className="empty">{resource.empty}</p> : null}
      {rows.length > 0 ? <Table rows={rows} columns={columns} rowKey={(r) => String(r.id)} testId="resource-list" /> : null}
      <Pager meta={list.data?.meta} onPage={setPage} label={resource.title} />
    </main>
  );
}

/** One item of a resource: its fields, and the rows under it (versions, rows, entries, values). */
export function ResourceDetailPage({ resource, id }: { resource: Resource; id: string }) {
  const [loads, setLoads] = useState(0);
  const [page, setPage] = useState(1);
  const item = useAsync(() => request<{ data: Row }>(`${resource.api}/${enc(id)}`).then((r) => r.data), [resource.api, id, loads]);
  const sub = resource.items;
  const items = useAsync(
    () =>
      sub
        ? request<List<Row> | { data: Row[] }>(`${resource.api}/${enc(id)}/${sub.api}`, { query: { page, per_page: 25 } })
        : Promise.resolve(undefined),
    [resource.api, id, page, loads],
  );
  const reload = () => setLoads((n) => n + 1);
  if (!item.data)
    return item.error ? <ErrorMessage error={item.error} title={`${resource.title}: not found`} /> : <p className="muted">Loading…</p>;
  const { id: itemId, code, ...fields } = item.data;
  const rows = items.data?.data ?? [];
  return (
    <main>
      <p className="flow-id">
        <span>Id</span> <CopyableId id={String(itemId)} label="id" />
      </p>
      <div className="page-head">
        <h1>{String(fields.name ?? itemId)}</h1>
        <Link to={resource.path}>All {resource.title.toLowerCase()}</Link>
      </div>
      <dl className="summary">
        {Object.entries(fields).map(([key, value]) => (
          <div key={key} className="contents">
            <dt>{key.replace(/_/g, ' ')}</dt>
            <dd>{cell(key, value)}</dd>
          </div>
        ))}
      </dl>
      {typeof code === 'string' ? (
        <>
          <h2>Draft code</h2>
          <pre className="code output">{code}</pre>
        </>
      ) : null}
      {resource.path === '/notification-groups' ? (
        <NotificationGroupForm
          key={String(fields.updated_at)}
          group={{ id, name: String(fields.name), emails: (fields.emails as string[]) ?? [] }}
          onSaved={reload}
        />
      ) : null}
      {sub ? (
        <>
          <h2>{sub.title}</h2>
          <ErrorMessage error={items.error} />
          {items.data && rows.length === 0 ? <p className="muted">None.</p> : null}
          {rows.length > 0 ? <Table rows={rows} columns={columnsOf(rows)} rowKey={(_r, i) => String(i)} /> : null}
          <Pager meta={items.data && 'meta' in items.data ? items.data.meta : undefined} onPage={setPage} label={sub.title} />
        </>
      ) : null}
      {resource.path === '/lookup-tables' ? <LookupImportForm tableId={id} onDone={reload} /> : null}
    </main>
  );
}

/** "Where is order LMUK62388?": values track_data steps recorded, searched by entity and value. */
export function TrackedDataPage() {
  const [entity, setEntity] = useState('');
  const [value, setValue] = useState('');
  const [page, setPage] = useState(1);
  const query = { 'filter[entity]': entity.trim() || undefined, 'filter[value]': value.trim() || undefined, page, per_page: 25 };
  const list = useAsync(() => request<List<Row>>('/tracked-data', { query }), [query]);
  const rows = list.data?.data ?? [];
  const columns: Column<Row>[] = [
    { label: 'entity', render: (r) => cell('entity', r.entity) },
    { label: 'value', render: (r) => <code>{String(r.value)}</code> },
    { label: 'run', render: (r) => <Link to={`/runs/${enc(String(r.flow_run_id))}`}>open the run</Link> },
    { label: 'step', render: (r) => cell('step_id', r.step_id) },
    { label: 'when', render: (r) => cell('created_at', r.created_at) },
  ];
  return (
    <main>
      <h1>Tracked data</h1>
      <div className="filters">
        <label>
          Entity
          <input
            value={entity}
            onChange={(e) => {
              setEntity(e.target.value);
              setPage(1);
            }}
          />
        </label>
        <label>
          Value (exact)
          <input
            value={value}
            onChange={(e) => {
              setValue(e.target.value);
              setPage(1);
            }}
          />
        </label>
      </div>
      <ErrorMessage error={list.error} />
      {list.data && rows.length === 0 ? (
        <p className="empty">Nothing tracked matches. A track_data step records values as runs pass it.</p>
      ) : null}
      {rows.length > 0 ? <Table rows={rows} columns={columns} rowKey={(r) => String(r.id)} testId="tracked-data" /> : null}
      <Pager meta={list.data?.meta} onPage={setPage} label="Tracked data" />
    </main>
  );
}
