import { useState } from 'react';
import { api } from '../../api/endpoints';
import { ErrorMessage } from '../../components/error-message';
import { formatTime, shortId } from '../../components/format';
import { Pager } from '../../components/pager';
import { useAsync } from '../../components/use-async';

/** A date input's value (local YYYY-MM-DD) as the start of that day in UTC ISO form; `nextDay` for an exclusive end. */
function dayStart(value: string, nextDay = false): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  if (nextDay) d.setDate(d.getDate() + 1);
  return d.toISOString();
}

/** Who did what and when, newest first; administrators only. Filters: action, and a range of days. */
export function AuditPage() {
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const query = { action: action.trim() || undefined, from: dayStart(from), to: dayStart(to, true), page };
  const entries = useAsync(() => api.listAudit(query), [query]);
  // Actors by name where they are users of the company; API keys and others by id.
  const users = useAsync(() => api.listUsers(), []);
  const names = new Map((users.data?.data ?? []).map((u) => [u.id, u.name]));
  const rows = entries.data?.data ?? [];
  const filter = (set: (v: string) => void) => (e: { target: { value: string } }) => {
    set(e.target.value);
    setPage(1);
  };

  return (
    <main>
      <h1>Audit log</h1>
      <div className="filters">
        <label>
          Action (e.g. flow.deployed; several with commas)
          <input value={action} onChange={filter(setAction)} />
        </label>
        <label>
          From day
          <input type="date" value={from} onChange={filter(setFrom)} />
        </label>
        <label>
          To day (included)
          <input type="date" value={to} onChange={filter(setTo)} />
        </label>
      </div>
      <ErrorMessage error={entries.error} />
      {entries.data && rows.length === 0 ? <p className="empty">No audit entries match.</p> : null}
      {rows.length > 0 ? (
        <div className="table-scroll">
          <table className="list" data-testid="audit-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.created_at)}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    <span className={`badge badge-${e.outcome}`}>{e.outcome}</span>
                  </td>
                  <td>
                    {e.actor_id && names.has(e.actor_id) ? (
                      names.get(e.actor_id)
                    ) : (
                      <>
                        {e.actor_type.replace('_', ' ')} {e.actor_id ? <code title={e.actor_id}>{shortId(e.actor_id)}</code> : null}
                      </>
                    )}
                  </td>
                  <td>
                    {e.target_type ?? ''} {e.target_id ? <code title={e.target_id}>{shortId(e.target_id)}</code> : null}
                  </td>
                  <td>{e.address ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager meta={entries.data?.meta} onPage={setPage} label="Audit log" />
    </main>
  );
}
