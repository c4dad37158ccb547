import { ROLES, type Role } from '@weft/schema';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/endpoints';
import type { User } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';
import { useAsync } from '../../components/use-async';
import { useSession } from '../auth/session';
import { userAdminApi } from './user-admin-api';

const ROLE_TEXT: Record<Role, string> = {
  administrator: 'Administrator: everything, including users and the audit log',
  manager: 'Manager: builds, deploys and runs flows; adds users',
  user: 'User: sees flows and runs',
  read_only: 'Read only: sees flows and runs',
};
const roleName = (role: string) => role.replace('_', ' ');

/**
 * The company's users and their roles, and adding one with a first password. Administrators also
 * change a user's role and remove users; a change applies at once, also to the user's open sessions.
 */
export function UsersPage() {
  const { me } = useSession();
  const users = useAsync(() => api.listUsers(), []);
  const blank = { name: '', email: '', password: '', role: 'manager' as Role };
  const [form, setForm] = useState(blank);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  // Only administrators may add administrators (the server refuses it otherwise).
  const roles = ROLES.filter((r) => r !== 'administrator' || me?.role === 'administrator');
  const canAdd = me?.role === 'administrator' || me?.role === 'manager';
  const isAdmin = me?.role === 'administrator';
  const [rowError, setRowError] = useState<unknown>(null);
  const [rowNotice, setRowNotice] = useState('');

  const changeRole = async (user: User, role: Role) => {
    setRowError(null);
    setRowNotice('');
    try {
      const updated = await userAdminApi.updateUser(user.id, { role });
      setRowNotice(`${updated.name} is now ${roleName(updated.role)}.`);
    } catch (err) {
      setRowError(err);
    }
    // Reloaded either way, so a refused change shows the role the user still has.
    users.reload();
  };

  const remove = async (user: User) => {
    if (!window.confirm(`Remove ${user.name} (${user.email})? They are logged out at once and can no longer log in.`)) return;
    setRowError(null);
    setRowNotice('');
    try {
      await userAdminApi.deleteUser(user.id);
      setRowNotice(`Removed ${user.name}.`);
      users.reload();
    } catch (err) {
      setRowError(err);
    }
  };

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setNotice('');
    try {
      const user = await api.createUser({ ...form, name: form.name.trim(), email: form.email.trim() });
      setNotice(`Added ${user.name} as ${roleName(user.role)}. Give them their email and password to log in.`);
      setForm(blank);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  return (
    <main>
      <h1>Users</h1>
      <ErrorMessage error={users.error} />
      {users.data ? (
        <div className="table-scroll">
          <table className="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                {isAdmin ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {users.data.data.map((u) => (
                <tr key={u.id}>
                  <td>
                    {u.name}
                    {u.id === me?.user?.id ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>{u.email}</td>
                  <td>
                    {isAdmin ? (
                      <select aria-label={`Role of ${u.name}`} value={u.role} onChange={(e) => void changeRole(u, e.target.value as Role)}>
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {roleName(r)}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <span className="chip">{roleName(u.role)}</span>
                    )}
                  </td>
                  {isAdmin ? (
                    <td>
                      {u.id === me?.user?.id ? null : (
                        <button type="button" className="danger" onClick={() => void remove(u)}>
                          Remove<span className="visually-hidden"> {u.name}</span>
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorMessage error={rowError} />
      {rowNotice ? <p role="status">{rowNotice}</p> : null}
      {isAdmin ? null : <p className="muted">Only administrators change roles and remove users.</p>}
      {canAdd ? (
        <form onSubmit={add} className="card stack" aria-labelledby="add-user">
          <h2 id="add-user">Add a user</h2>
          <div className="row wrap">
            <label className="grow">
              Name
              <input required maxLength={200} value={form.name} onChange={set('name')} autoComplete="off" />
            </label>
            <label className="grow">
              Email
              <input required type="email" maxLength={254} value={form.email} onChange={set('email')} autoComplete="off" />
            </label>
          </div>
          <div className="row wrap">
            <label className="grow">
              First password (at least 10 characters)
              <input required type="password" minLength={10} value={form.password} onChange={set('password')} autoComplete="new-password" />
            </label>
            <label className="grow">
              Role
              <select value={form.role} onChange={set('role')}>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {ROLE_TEXT[r]}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ErrorMessage error={error} />
          {notice ? <p role="status">{notice}</p> : null}
          <div>
            <button type="submit" className="primary">
              Add user
            </button>
          </div>
        </form>
      ) : null}
    </main>
  );
}
