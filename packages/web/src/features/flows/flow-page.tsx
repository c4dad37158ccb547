import { useEffect, useState } from 'react';
import { api } from '../../api/endpoints';
import type { Flow, FlowVersion, FlowVersionWithDefinition } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { FlowEditor } from '../../editor/flow-editor';
import { Link, navigate, useLocation } from '../../router';
import { VersionsList } from './versions-list';

/** A flow: its id above its title, its versions, and the selected version on the canvas. */
export function FlowPage({ flowId }: { flowId: string }) {
  const { search } = useLocation();
  const wanted = search.get('version');
  const [flow, setFlow] = useState<Flow | null>(null);
  const [versions, setVersions] = useState<FlowVersion[]>([]);
  const [version, setVersion] = useState<FlowVersionWithDefinition | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [loads, setLoads] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: loads is the reload trigger
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const [f, vs] = await Promise.all([api.getFlow(flowId), api.listVersions(flowId)]);
        const id = wanted && vs.some((v) => v.id === wanted) ? wanted : f.draft_version_id;
        const v = await api.getVersion(id);
        if (!live) return;
        setFlow(f);
        setVersions(vs);
        setVersion(v);
        setError(null);
      } catch (err) {
        if (live) setError(err);
      }
    })();
    return () => {
      live = false;
    };
  }, [flowId, wanted, loads]);

  const select = (id: string) => {
    setNotice('');
    navigate(`/flows/${flowId}?version=${encodeURIComponent(id)}`);
  };

  if (error && !flow) return <ErrorMessage error={error} title="The flow could not be loaded" />;
  if (!flow || !version) return <p className="muted">Loading…</p>;

  return (
    <main className="flow-page">
      <div className="flow-head">
        <div>
          <p className="flow-id">
            <span>Flow id</span> <CopyableId id={flow.id} label="flow id" testId="flow-id" />
          </p>
          <h1>{flow.name}</h1>
        </div>
        <p className="flow-state">
          {flow.enabled ? 'Enabled' : 'Disabled'} · {flow.versions_count} version{flow.versions_count === 1 ? '' : 's'} ·{' '}
          <Link to={`/runs?flow=${flow.id}`}>Runs of this flow</Link>
        </p>
      </div>
      {notice ? (
        <p role="status" className="notice-banner">
          {notice}
        </p>
      ) : null}
      <FlowEditor
        key={`${version.id}:${version.status}:${loads}`}
        flow={flow}
        version={version}
        sidebar={<VersionsList versions={versions} selectedId={version.id} onSelect={select} />}
        onChanged={(next, message) => {
          setNotice(message ?? '');
          if (next && next !== wanted) navigate(`/flows/${flowId}?version=${encodeURIComponent(next)}`);
          setLoads((n) => n + 1);
        }}
      />
    </main>
  );
}
