import { ApiKeysPage } from './features/api-keys/api-keys-page';
import { LoginPage } from './features/auth/login-page';
import { RegisterPage } from './features/auth/register-page';
import { useSession } from './features/auth/session';
import { FlowPage } from './features/flows/flow-page';
import { FlowsPage } from './features/flows/flows-page';
import { Layout } from './features/layout/layout';
import { RunPage } from './features/runs/run-page';
import { RunsPage } from './features/runs/runs-page';
import { matchPath, navigate, useLocation } from './router';

function Page({ path }: { path: string }) {
  const flow = matchPath('/flows/:id', path);
  if (flow) return <FlowPage key={flow.id} flowId={flow.id!} />;
  const run = matchPath('/runs/:id', path);
  if (run) return <RunPage key={run.id} runId={run.id!} />;
  if (path === '/runs') return <RunsPage />;
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
      <Page path={path} />
    </Layout>
  );
}
