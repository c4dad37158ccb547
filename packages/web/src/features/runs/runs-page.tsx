import { RUN_STATUSES, RUN_TRIGGERS, type RunStatus } from '@weft/schema';
import { api } from '../../api/endpoints';
import { ErrorMessage } from '../../components/error-message';
import { formatDuration, formatTime, shortId } from '../../components/format';
import { Pager } from '../../components/pager';
import { StatusBadge } from '../../components/status-badge';
import { useAsync } from '../../components/use-async';
import { Link, navigate, useLocation } from '../../router';

const REFRESH_MS = 2000;

/** A date input's day as the ISO time it starts (local midnight); `nextDay` for an exclusive end. */
function dayStart(value: string, nextDay = false): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  if (nextDay) d.setDate(d.getDate() + 1);
  return d.toISOString();
}
const PER_PAGE = 25;

/** Runs, newest first, filtered by flow, status and trigger and paged (all kept in the URL), refreshed every 2 s; cards on a phone. */
export function RunsPage() {
  const { search } = useLocation();
  const flowId = search.get('flow') ?? '';
  const status = (search.get('status') ?? '') as RunStatus | '';
  const trigger = search.get('trigger') ?? '';
  const page = Math.max(1, Number(search.get('page')) || 1);
  // Days as the date inputs give them (local), sent as the start of that day and of the day after the last.
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const flows = useAsync(() => api.listFlows(), []);
  const runs = useAsync(
    () =>
      api.listRuns({
        flow_id: flowId || undefined,
        status,
        trigger,
        started_after: dayStart(from),
        started_before: dayStart(to, true),
        page,
        per_page: PER_PAGE,
      }),
    [flowId, status, trigger, from, to, page],
    REFRESH_MS,
  );
  const names = new Map((flows.data?.data ?? []).map((f) => [f.id, f.name]));

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== 'page') next.delete('page');
    const qs = next.toString();
    navigate(`/runs${qs ? `?${qs}` : ''}`, { replace: true });
  };

  const rows = runs.data?.data ?? [];
  return (
    <main>
      <div className="page-head">
        <h1>Runs</h1>
        <div className="inline-form">
          <label>
            Flow
            <select value={flowId} onChange={(e) => setFilter('flow', e.target.value)}>
              <option value="">All flows</option>
              {(flows.data?.data ?? []).map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select value={status} onChange={(e) => setFilter('status', e.target.value)}>
              <option value="">Any status</option>
              {RUN_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            Trigger
            <select value={trigger} onChange={(e) => setFilter('trigger', e.target.value)}>
              <option value="">Any trigger</option>
              {RUN_TRIGGERS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Started from
            <input type="date" value={from} onChange={(e) => setFilter('from', e.target.value)} />
          </label>
          <label>
            Started until
            <input type="date" value={to} onChange={(e) => setFilter('to', e.target.value)} />
          </label>
        </div>
      </div>
      <ErrorMessage error={runs.error} />
      {runs.data && rows.length === 0 ? (
        <p className="empty">
          No runs {flowId || status || trigger || from || to ? 'match these filters' : 'yet: start a flow from its page or through the API'}
          .
        </p>
      ) : null}
      {rows.length > 0 ? (
        <table className="list cards" aria-describedby="runs-refresh">
          <caption id="runs-refresh" className="muted">
            {runs.data?.meta.total} run{runs.data?.meta.total === 1 ? '' : 's'}; refreshed every 2 seconds
          </caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Flow</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Queued</th>
              <th scope="col">Duration</th>
              <th scope="col">Steps</th>
              <th scope="col">Related</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.id} data-testid={`run-row-${run.id}`}>
                <td data-label="Run">
                  <Link to={`/runs/${run.id}`} title={run.id}>
                    <code>{shortId(run.id)}</code>
                  </Link>
                </td>
                <td data-label="Flow">{names.get(run.flow_id) ?? <code>{shortId(run.flow_id)}</code>}</td>
                <td data-label="Status">
                  <StatusBadge status={run.status} />
                </td>
                <td data-label="Trigger">{run.trigger}</td>
                <td data-label="Queued">{formatTime(run.queued_at)}</td>
                <td data-label="Duration">{formatDuration(run.duration_ms)}</td>
                <td data-label="Steps">{run.steps_completed}</td>
                <td data-label="Related">
                  {run.retry_of_run_id ? (
                    <Link to={`/runs/${run.retry_of_run_id}`} title={run.retry_of_run_id}>
                      retry of {shortId(run.retry_of_run_id)}
                    </Link>
                  ) : null}
                  {run.parent_run_id ? (
                    <Link to={`/runs/${run.parent_run_id}`} title={run.parent_run_id}>
                      started by {shortId(run.parent_run_id)}
                    </Link>
                  ) : null}
                  {!run.retry_of_run_id && !run.parent_run_id ? '—' : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager meta={runs.data?.meta} onPage={(p) => setFilter('page', String(p))} label="Runs" />
    </main>
  );
}
