import type { ReactNode } from 'react';
import { Link, useLocation } from '../../router';
import { useSession } from '../auth/session';
import { RESOURCES } from '../resources/resources';

// Pages of the capabilities flows use (scripts, lookup tables, ...), under "More" to keep the bar short.
const MORE = [...RESOURCES.map((r) => ({ to: r.path, label: r.title })), { to: '/tracked-data', label: 'Tracked data' }];

const NAV = [
  { to: '/flows', label: 'Flows' },
  { to: '/runs', label: 'Runs' },
  { to: '/connectors', label: 'Connectors' },
  { to: '/instances', label: 'Instances' },
  { to: '/users', label: 'Users' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/audit-log', label: 'Audit log', admin: true },
  { to: '/settings', label: 'Settings' },
];

export function Layout({ children }: { children: ReactNode }) {
  const { me, logOut } = useSession();
  const { path } = useLocation();
  return (
    <div className="layout">
      <header className="topbar">
        <Link to="/flows" className="brand">
          Weft
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.admin || me?.role === 'administrator').map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={path.startsWith(item.to) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
            <li>
              <details className="more" key={path}>
                <summary aria-current={MORE.some((m) => path.startsWith(m.to)) ? 'page' : undefined}>More</summary>
                <ul>
                  {MORE.map((item) => (
                    <li key={item.to}>
                      <Link to={item.to} aria-current={path.startsWith(item.to) ? 'page' : undefined}>
                        {item.label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </details>
            </li>
          </ul>
        </nav>
        <div className="who">
          {me ? (
            <span>
              {me.user?.name ?? 'API key'} · {me.company.name}
            </span>
          ) : null}
          <button type="button" onClick={() => void logOut()}>
            Log out
          </button>
        </div>
      </header>
      <div className="content">{children}</div>
    </div>
  );
}
