import { useState } from 'react';
import { request } from '../../api/client';
import { api } from '../../api/endpoints';
import type { List } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';
import { type Column, cell, Table } from '../../components/generic-table';
import { Pager } from '../../components/pager';
import { useAsync } from '../../components/use-async';
import { Link, useLocation } from '../../router';

interface Tracked {
  id: string;
  entity: string;
  value: string;
  flow_id: string;
  flow_run_id: string;
  step_id: string;
  created_at: string;
}

const enc = encodeURIComponent;

const COLUMNS: Column<Tracked>[] = [
  { label: 'Entity', render: (r) => cell('entity', r.entity) },
  { label: 'Value', render: (r) => <code>{r.value}</code> },
  { label: 'When', render: (r) => cell('created_at', r.created_at) },
  { label: 'Flow', render: (r) => <Link to={`/flows/${enc(r.flow_id)}`}>open the flow</Link> },
  {
    label: 'Run',
    render: (r) => (
      <Link to={`/runs/${enc(r.flow_run_id)}`} aria-label={`Open the run that tracked ${r.value}`}>
        open the run
      </Link>
    ),
  },
  { label: 'Step', render: (r) => <code>{r.step_id}</code> },
];

/** The day after a yyyy-mm-dd day, as the API's `to` is exclusive and people mean "up to and including". */
export function dayAfter(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** "Where is order LMUK62388?": values track_data steps recorded, by entity, value and day (UTC). */
export function TrackedDataPage() {
  // A link may open the search already filtered (`?entity=order&value=LMUK62388&flow_id=…`).
  const { search } = useLocation();
  const [filters, setFilters] = useState(() => ({
    entity: search.get('entity') ?? '',
    value: search.get('value') ?? '',
    flow: search.get('flow_id') ?? '',
    from: '',
    to: '',
  }));
  const flows = useAsync(() => api.listFlows(), []);
  const [page, setPage] = useState(1);
  const set = (key: keyof typeof filters) => (e: { target: { value: string } }) => {
    setFilters({ ...filters, [key]: e.target.value });
    setPage(1);
  };
  const query = {
    'filter[entity]': filters.entity.trim() || undefined,
    'filter[value]': filters.value.trim() || undefined,
    'filter[flow_id]': filters.flow || undefined,
    'filter[from]': filters.from || undefined,
    'filter[to]': filters.to ? dayAfter(filters.to) : undefined,
    page,
    per_page: 25,
  };
  const list = useAsync(() => request<List<Tracked>>('/tracked-data', { query }), [query]);
  const rows = list.data?.data ?? [];
  const filtered = Object.values(filters).some((v) => v.trim() !== '');
  return (
    <main>
      <h1>Tracked data</h1>
      <p className="muted">Values that track_data steps recorded as runs passed them, newest first. Days are UTC.</p>
      <search className="filters" aria-label="Search tracked data">
        <label>
          Entity
          <input value={filters.entity} onChange={set('entity')} placeholder="order" />
        </label>
        <label>
          Value (exact)
          <input value={filters.value} onChange={set('value')} placeholder="LMUK62388" />
        </label>
        <label>
          Flow
          <select value={filters.flow} onChange={set('flow')}>
            <option value="">any flow</option>
            {(flows.data?.data ?? []).map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
            {filters.flow && flows.data && !flows.data.data.some((f) => f.id === filters.flow) ? (
              <option value={filters.flow}>flow {filters.flow}</option>
            ) : null}
          </select>
        </label>
        <label>
          From day
          <input type="date" value={filters.from} onChange={set('from')} />
        </label>
        <label>
          To day (included)
          <input type="date" value={filters.to} onChange={set('to')} />
        </label>
      </search>
      <ErrorMessage error={list.error} title="The search failed" />
      {list.data && rows.length === 0 ? (
        <p className="empty">
          {filtered
            ? 'Nothing tracked matches these filters.'
            : 'Nothing tracked yet. A track_data step in a flow records values as runs pass it.'}
        </p>
      ) : null}
      {rows.length > 0 ? <Table rows={rows} columns={COLUMNS} rowKey={(r) => r.id} testId="tracked-data" /> : null}
      <Pager meta={list.data?.meta} onPage={setPage} label="Tracked data" />
    </main>
  );
}
