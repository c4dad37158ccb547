import { useState } from 'react';
import { request } from '../../api/client';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
import { useAsync } from '../../components/use-async';
import { useCanWrite } from '../../components/use-can-write';
import { Link, navigate } from '../../router';
import { NotificationGroupForm } from '../resources/resource-forms';

interface Group {
  id: string;
  name: string;
  emails: string[];
  updated_at: string;
}

const enc = encodeURIComponent;

/** A notification group: who it reaches, how notify steps name it; change its members or delete it. */
export function NotificationGroupPage({ groupId }: { groupId: string }) {
  const canWrite = useCanWrite();
  const group = useAsync(() => request<{ data: Group }>(`/notification-groups/${enc(groupId)}`).then((r) => r.data), [groupId]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  if (!group.data)
    return group.error ? (
      <ErrorMessage error={group.error} title="The notification group could not be loaded" />
    ) : (
      <p className="muted">Loading…</p>
    );
  const g = group.data;
  const remove = async () => {
    if (!window.confirm(`Delete the notification group "${g.name}"? Notify steps that name it will fail until it exists again.`)) return;
    setError(null);
    try {
      await request(`/notification-groups/${enc(g.id)}`, { method: 'DELETE' });
      navigate('/notification-groups');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <main>
      <p className="flow-id">
        <span>Notification group id</span> <CopyableId id={g.id} label="notification group id" />
      </p>
      <div className="page-head">
        <h1>{g.name}</h1>
        <div className="row">
          <Link to="/notification-groups">All notification groups</Link>
          {canWrite ? (
            <button type="button" className="danger" onClick={() => void remove()}>
              Delete group
            </button>
          ) : null}
        </div>
      </div>
      <p className="muted">
        Notify steps and a trigger's failure alerts reach it by its name “{g.name}” · changed {formatTime(g.updated_at)}.
      </p>
      <ErrorMessage error={error} />
      <p role="status" className="notice">
        {notice}
      </p>
      <h2>Members</h2>
      {g.emails.length === 0 ? (
        <p className="empty">No members: email sent to this group reaches nobody.{canWrite ? ' Add addresses below.' : ''}</p>
      ) : (
        <ul className="plain" data-testid="group-members">
          {g.emails.map((email) => (
            <li key={email}>{email}</li>
          ))}
        </ul>
      )}
      {canWrite ? (
        <>
          <h2>Change the group</h2>
          <NotificationGroupForm
            key={g.updated_at}
            group={g}
            onSaved={() => {
              setNotice('Saved the group.');
              group.reload();
            }}
          />
        </>
      ) : null}
    </main>
  );
}
