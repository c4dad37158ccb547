import { type ReactNode, useState } from 'react';
import { request } from '../../api/client';
import type { List } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';
import { type Column, cell, Table } from '../../components/generic-table';
import { Pager } from '../../components/pager';
import { useAsync } from '../../components/use-async';
import { Link } from '../../router';
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
