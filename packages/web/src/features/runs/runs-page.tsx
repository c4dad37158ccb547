import { RUN_STATUSES, type RunStatus } from '@weft/schema';
import { api } from '../../api/endpoints';
import { ErrorMessage } from '../../components/error-message';
import { formatDuration, formatTime, shortId } from '../../components/format';
import { StatusBadge } from '../../components/status-badge';
import { useAsync } from '../../components/use-async';
import { Link, navigate, useLocation } from '../../router';

const REFRESH_MS = 2000;

/** Runs, newest first, filtered by flow and status (kept in the URL), refreshed every 2 s. */
export function RunsPage() {
  const { search } = useLocation();
  const flowId = search.get('flow') ?? '';
  const status = (search.get('status') ?? '') as RunStatus | '';
  const flows = useAsync(() => api.listFlows(), []);
  const runs = useAsync(() => api.listRuns({ flow_id: flowId || undefined, status }), [flowId, status], REFRESH_MS);
  const names = new Map((flows.data?.data ?? []).map((f) => [f.id, f.name]));

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
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
        </div>
      </div>
      <ErrorMessage error={runs.error} />
      {runs.data && rows.length === 0 ? (
        <p className="empty">No runs {flowId || status ? 'match these filters' : 'yet: start a flow from its page or through the API'}.</p>
      ) : null}
      {rows.length > 0 ? (
        <table className="list" aria-describedby="runs-refresh">
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
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.id} data-testid={`run-row-${run.id}`}>
                <td>
                  <Link to={`/runs/${run.id}`} title={run.id}>
                    <code>{shortId(run.id)}</code>
                  </Link>
                </td>
                <td>{names.get(run.flow_id) ?? <code>{shortId(run.flow_id)}</code>}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>{run.trigger}</td>
                <td>{formatTime(run.queued_at)}</td>
                <td>{formatDuration(run.duration_ms)}</td>
                <td>{run.steps_completed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
