import { TERMINAL_RUN_STATUSES } from '@weft/schema';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import type { Run, RunLog } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { formatDuration, formatTime, shortId } from '../../components/format';
import { StatusBadge } from '../../components/status-badge';
import { useAsync } from '../../components/use-async';
import { Link, navigate } from '../../router';
import { PayloadView } from './payload-view';

const LIVE_REFRESH_MS = 1000;

function errorText(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return JSON.stringify(error);
}

/**
 * One run: status, timings, the step log as a timeline, and each entry's payloads. Polls while the
 * run is live (EventSource cannot send the Authorization header the API needs).
 */
export function RunPage({ runId }: { runId: string }) {
  const [live, setLive] = useState(true);
  const state = useAsync(
    async () => {
      const [run, logs, children] = await Promise.all([
        api.getRun(runId),
        api.runLogs(runId),
        // Older servers have no children route: the page works without the list.
        api.runChildren(runId).catch(() => [] as Run[]),
      ]);
      setLive(!TERMINAL_RUN_STATUSES.includes(run.status));
      return { run, logs, children };
    },
    [runId],
    live ? LIVE_REFRESH_MS : undefined,
  );
  // A live run cannot have been retried yet: the retries are looked up once it has finished, not on every poll.
  const loaded = state.data?.run;
  const finished = loaded ? TERMINAL_RUN_STATUSES.includes(loaded.status) : false;
  const retriesState = useAsync(async () => {
    if (!loaded || !finished) return [] as Run[];
    // The API links a retry to its original, not back: the flow's latest retries are searched for this run's.
    const found = await api
      .listRuns({ flow_id: loaded.flow_id, trigger: 'retry', per_page: 100 })
      .then((page) => page.data)
      .catch(() => [] as Run[]);
    return found.filter((r) => r.retry_of_run_id === loaded.id);
  }, [loaded?.id, loaded?.flow_id, finished]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);

  if (!state.data)
    return state.error ? <ErrorMessage error={state.error} title="The run could not be loaded" /> : <p className="muted">Loading…</p>;
  const { run, logs, children } = state.data;
  const retries = retriesState.data ?? [];
  const terminal = TERMINAL_RUN_STATUSES.includes(run.status);

  const retry = async () => {
    setActionError(null);
    try {
      const started = await api.retryRun(run.id);
      navigate(`/runs/${started.flow_run_id}`);
    } catch (err) {
      setActionError(err);
    }
  };
  const stop = async () => {
    setActionError(null);
    try {
      await api.stopRun(run.id);
      setLive(true);
      state.reload();
    } catch (err) {
      setActionError(err);
    }
  };

  return (
    <main className="run-page">
      <p className="flow-id">
        <span>Run id</span> <CopyableId id={run.id} label="run id" testId="run-id" />
      </p>
      <div className="page-head">
        <h1>
          Run <StatusBadge status={run.status} />
        </h1>
        <div className="row">
          <button type="button" onClick={() => void retry()}>
            Retry
          </button>
          <button type="button" onClick={() => void stop()} disabled={terminal}>
            Stop
          </button>
        </div>
      </div>
      <ErrorMessage error={actionError} />
      <RunSummary run={run} />
      {errorText(run.error) ? (
        <p className="error" role="alert">
          {errorText(run.error)}
        </p>
      ) : null}
      {run.input_payload_id ? (
        <details className="input-payload">
          <summary>Input payload</summary>
          <PayloadView id={run.input_payload_id} title="Input payload" />
        </details>
      ) : null}
      {retries.length > 0 ? (
        <section aria-labelledby="retries">
          <h2 id="retries">Retried as</h2>
          <ul className="child-runs">
            {retries.map((retry) => (
              <li key={retry.id}>
                <Link to={`/runs/${retry.id}`} title={retry.id}>
                  <code>{shortId(retry.id)}</code>
                </Link>{' '}
                <StatusBadge status={retry.status} /> {formatTime(retry.queued_at)}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {children.length > 0 ? (
        <section aria-labelledby="child-runs">
          <h2 id="child-runs">Runs this run started</h2>
          <ul className="child-runs">
            {children.map((child) => (
              <li key={child.id}>
                <Link to={`/runs/${child.id}`}>
                  <code>{shortId(child.id)}</code>
                </Link>{' '}
                <StatusBadge status={child.status} /> {formatTime(child.queued_at)}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <h2>Step log</h2>
      {logs.length === 0 ? <p className="muted">{terminal ? 'No log entries.' : 'Waiting for the first step…'}</p> : null}
      <ol className="timeline" data-testid="run-log">
        {logs.map((log) => (
          <LogEntry key={log.id} log={log} open={open === log.id} onToggle={() => setOpen(open === log.id ? null : log.id)} />
        ))}
      </ol>
    </main>
  );
}

function RunSummary({ run }: { run: Run }) {
  return (
    <dl className="summary">
      <dt>Flow</dt>
      <dd>
        <Link to={`/flows/${run.flow_id}?version=${run.flow_version_id}`}>Open the flow</Link>
      </dd>
      <dt>Version id</dt>
      <dd>
        <code>{run.flow_version_id}</code>
      </dd>
      <dt>Trigger</dt>
      <dd>{run.trigger}</dd>
      <dt>Queued</dt>
      <dd>{formatTime(run.queued_at)}</dd>
      <dt>Started</dt>
      <dd>{formatTime(run.started_at)}</dd>
      <dt>Finished</dt>
      <dd>{formatTime(run.finished_at)}</dd>
      <dt>Duration</dt>
      <dd>{formatDuration(run.duration_ms)}</dd>
      <dt>Steps completed</dt>
      <dd>{run.steps_completed}</dd>
      {run.retry_of_run_id ? (
        <>
          <dt>Retry of</dt>
          <dd>
            <Link to={`/runs/${run.retry_of_run_id}`}>{run.retry_of_run_id}</Link>
          </dd>
        </>
      ) : null}
      {run.parent_run_id ? (
        <>
          <dt>Started by</dt>
          <dd>
            <Link to={`/runs/${run.parent_run_id}`}>{run.parent_run_id}</Link>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function LogEntry({ log, open, onToggle }: { log: RunLog; open: boolean; onToggle(): void }) {
  const payloads = log.payload_ids_in.length + log.payload_ids_out.length;
  return (
    <li className={`log log-${log.level}`} data-testid="log-entry">
      <div className="log-line">
        <span className={`level level-${log.level}`}>{log.level}</span>
        <span className="log-step">{log.step_name ?? log.step_id ?? 'run'}</span>
        <span className="log-message">{log.message}</span>
        <span className="muted">
          {log.attempt ? `attempt ${log.attempt}` : ''}
          {log.duration_ms !== null ? ` · ${formatDuration(log.duration_ms)}` : ''} · {formatTime(log.created_at)}
        </span>
        {payloads > 0 ? (
          <button type="button" aria-expanded={open} onClick={onToggle}>
            {open ? 'Hide payloads' : `Payloads (${log.payload_ids_in.length} in, ${log.payload_ids_out.length} out)`}
          </button>
        ) : null}
      </div>
      {open ? (
        <div className="payloads">
          {log.payload_ids_in.map((id, i) => (
            <PayloadView key={`in-${id}`} id={id} title={`In ${i + 1} of ${log.payload_ids_in.length}`} />
          ))}
          {log.payload_ids_out.map((id, i) => (
            <PayloadView key={`out-${id}`} id={id} title={`Out ${i + 1} of ${log.payload_ids_out.length}`} />
          ))}
        </div>
      ) : null}
    </li>
  );
}
