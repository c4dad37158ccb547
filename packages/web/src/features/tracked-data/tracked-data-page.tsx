import { useState } from 'react';
import { request } from '../../api/client';
import { api } from '../../api/endpoints';
import type { List } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
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
      {rows.length > 0 ? (
        <div className="table-scroll">
          <table className="list cards" data-testid="tracked-data">
            <thead>
              <tr>
                <th scope="col">Entity</th>
                <th scope="col">Value</th>
                <th scope="col">When</th>
                <th scope="col">Flow</th>
                <th scope="col">Run</th>
                <th scope="col">Step</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td data-label="Entity">{r.entity}</td>
                  <td data-label="Value">
                    <code>{r.value}</code>
                  </td>
                  <td data-label="When">{formatTime(r.created_at)}</td>
                  <td data-label="Flow">
                    <Link to={`/flows/${enc(r.flow_id)}`}>open the flow</Link>
                  </td>
                  <td data-label="Run">
                    <Link to={`/runs/${enc(r.flow_run_id)}`} aria-label={`Open the run that tracked ${r.value}`}>
                      open the run
                    </Link>
                  </td>
                  <td data-label="Step">
                    <code>{r.step_id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager meta={list.data?.meta} onPage={setPage} label="Tracked data" />
    </main>
  );
}
