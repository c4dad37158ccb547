import { lazy, Suspense } from 'react';
import { ApiKeysPage } from './features/api-keys/api-keys-page';
import { LoginPage } from './features/auth/login-page';
import { RegisterPage } from './features/auth/register-page';
import { useSession } from './features/auth/session';
import { FlowsPage } from './features/flows/flows-page';
import { Layout } from './features/layout/layout';
import { RESOURCES } from './features/resources/resources';
import { RunPage } from './features/runs/run-page';
import { RunsPage } from './features/runs/runs-page';
import { matchPath, navigate, useLocation } from './router';

// The canvas (React Flow, dagre, the cron helper) and the admin pages load on first use, keeping the first load small.
const FlowPage = lazy(() => import('./features/flows/flow-page').then((m) => ({ default: m.FlowPage })));
const UsersPage = lazy(() => import('./features/users/users-page').then((m) => ({ default: m.UsersPage })));
const AuditPage = lazy(() => import('./features/audit/audit-page').then((m) => ({ default: m.AuditPage })));
const SettingsPage = lazy(() => import('./features/settings/settings-page').then((m) => ({ default: m.SettingsPage })));
const ConnectorsPage = lazy(() => import('./features/connectors/connectors-page').then((m) => ({ default: m.ConnectorsPage })));
const ConnectorPage = lazy(() => import('./features/connectors/connector-page').then((m) => ({ default: m.ConnectorPage })));
const resources = () => import('./features/resources/resource-pages');
const ResourceListPage = lazy(() => resources().then((m) => ({ default: m.ResourceListPage })));
const NewNamedForm = lazy(() => import('./features/resources/resource-forms').then((m) => ({ default: m.NewNamedForm })));
const NewNotificationGroup = lazy(() =>
  import('./features/notification-groups/new-group').then((m) => ({ default: m.NewNotificationGroup })),
);
const NotificationGroupPage = lazy(() =>
  import('./features/notification-groups/notification-group-page').then((m) => ({ default: m.NotificationGroupPage })),
);
const scripts = () => import('./features/scripts/script-page');
const ScriptPage = lazy(() => scripts().then((m) => ({ default: m.ScriptPage })));
const NewScriptForm = lazy(() => scripts().then((m) => ({ default: m.NewScriptForm })));
const InstancesPage = lazy(() => import('./features/connectors/instances-page').then((m) => ({ default: m.InstancesPage })));
const LookupTablePage = lazy(() => import('./features/lookup-tables/lookup-table-page').then((m) => ({ default: m.LookupTablePage })));
const DataPoolPage = lazy(() => import('./features/data-pools/data-pool-page').then((m) => ({ default: m.DataPoolPage })));
const CachePage = lazy(() => import('./features/caches/cache-page').then((m) => ({ default: m.CachePage })));
const TrackedDataSearch = lazy(() => import('./features/tracked-data/tracked-data-page').then((m) => ({ default: m.TrackedDataPage })));

/** How a resource's list page creates an item, where the dashboard offers it. */
function creator(path: string) {
  if (path === '/lookup-tables') return <NewNamedForm api="/lookup-tables" path={path} noun="lookup table" withDescription />;
  if (path === '/data-pools') return <NewNamedForm api="/data-pools" path={path} noun="data pool" withDescription />;
  if (path === '/notification-groups') return <NewNotificationGroup />;
  if (path === '/scripts') return <NewScriptForm />;
  return undefined;
}

function Page({ path }: { path: string }) {
  const flow = matchPath('/flows/:id', path);
  if (flow) return <FlowPage key={flow.id} flowId={flow.id!} />;
  const run = matchPath('/runs/:id', path);
  if (run) return <RunPage key={run.id} runId={run.id!} />;
  const connector = matchPath('/connectors/:id', path);
  if (connector) return <ConnectorPage key={connector.id} connectorId={connector.id!} />;
  if (path === '/connectors') return <ConnectorsPage />;
  if (path === '/instances') return <InstancesPage />;
  if (path === '/users') return <UsersPage />;
  if (path === '/audit-log') return <AuditPage />;
  if (path === '/settings') return <SettingsPage />;
  if (path === '/runs') return <RunsPage />;
  if (path === '/tracked-data') return <TrackedDataSearch />;
  const lookupTable = matchPath('/lookup-tables/:id', path);
  if (lookupTable) return <LookupTablePage key={lookupTable.id} tableId={lookupTable.id!} />;
  const dataPool = matchPath('/data-pools/:id', path);
  if (dataPool) return <DataPoolPage key={dataPool.id} poolId={dataPool.id!} />;
  const group = matchPath('/notification-groups/:id', path);
  if (group) return <NotificationGroupPage key={group.id} groupId={group.id!} />;
  const cache = matchPath('/caches/:id', path);
  if (cache) return <CachePage key={cache.id} cacheId={cache.id!} />;
  const script = matchPath('/scripts/:id', path);
  if (script) return <ScriptPage key={script.id} scriptId={script.id!} />;
  for (const resource of RESOURCES) {
    if (path === resource.path) return <ResourceListPage key={resource.path} resource={resource} actions={creator(resource.path)} />;
  }
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path === '/flows') return <FlowsPage />;
  return (
    <main>
      <h1>Not found</h1>
      <p>There is no page at {path}.</p>
    </main>
  );
}

export function App() {
  const { me, loading } = useSession();
  const { path } = useLocation();
  const open = path === '/login' || path === '/register';

  if (loading) return <p className="muted">Loading…</p>;
  if (!me) {
    if (!open) {
      queueMicrotask(() => navigate('/login', { replace: true }));
      return null;
    }
    return path === '/register' ? <RegisterPage /> : <LoginPage />;
  }
  if (open || path === '/') {
    queueMicrotask(() => navigate('/flows', { replace: true }));
    return null;
  }
  return (
    <Layout>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Page path={path} />
      </Suspense>
    </Layout>
  );
}
