import { CopyableId } from '../../components/copy-button';
import { Link } from '../../router';
import { useSession } from '../auth/session';

/**
 * The account at a glance: the company (its id goes into webhook and callback URLs), who is signed
 * in, and where the company's keys, users and audit log are managed. Read-only: the API has no route
 * to rename a company or edit one's own profile.
 */
export function SettingsPage() {
  const { me } = useSession();
  if (!me) return null;
  const webhookUrl = `${location.origin}/api/v1/webhooks/${me.company.id}/<webhook id>`;
  return (
    <main className="stack">
      <h1>Settings</h1>
      <section aria-labelledby="settings-company" className="stack">
        <h2 id="settings-company">Company</h2>
        <dl className="settings-facts">
          <dt>Name</dt>
          <dd data-testid="settings-company-name">{me.company.name}</dd>
          <dt>Company id</dt>
          <dd>
            <CopyableId id={me.company.id} label="company id" testId="settings-company-id" />
          </dd>
          <dt>Webhook URLs</dt>
          <dd>
            <code>{webhookUrl}</code>
            <p className="muted">A webhook or callback trigger's address names the company id and the trigger's webhook id.</p>
          </dd>
        </dl>
      </section>
      <section aria-labelledby="settings-you" className="stack">
        <h2 id="settings-you">Signed in as</h2>
        {me.user ? (
          <dl className="settings-facts">
            <dt>Name</dt>
            <dd>{me.user.name}</dd>
            <dt>Email</dt>
            <dd>{me.user.email}</dd>
            <dt>Role</dt>
            <dd data-testid="settings-role">{me.role}</dd>
          </dl>
        ) : (
          <p>An API key with the {me.role} role.</p>
        )}
      </section>
      <section aria-labelledby="settings-manage" className="stack">
        <h2 id="settings-manage">Manage</h2>
        <ul>
          <li>
            <Link to="/api-keys">API keys</Link>: create and revoke the keys that call the API
          </li>
          <li>
            <Link to="/users">Users</Link>: who can sign in to the company, and their roles
          </li>
          {me.role === 'administrator' ? (
            <li>
              <Link to="/audit-log">Audit log</Link>: who changed what, and when
            </li>
          ) : null}
        </ul>
      </section>
    </main>
  );
}
