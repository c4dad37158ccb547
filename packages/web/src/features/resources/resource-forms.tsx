import { type FormEvent, useState } from 'react';
import { request } from '../../api/client';
import { ErrorMessage } from '../../components/error-message';
import { useCanWrite } from '../../components/use-can-write';
import { navigate } from '../../router';

const enc = encodeURIComponent;

/** A name (and, where the resource has one, a description) to create an item with, then its page. */
export function NewNamedForm({ api, path, noun, withDescription }: { api: string; path: string; noun: string; withDescription?: boolean }) {
  const canWrite = useCanWrite();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const body = withDescription && description.trim() ? { name: name.trim(), description: description.trim() } : { name: name.trim() };
      const created = await request<{ data: { id: string } }>(api, { method: 'POST', body });
      navigate(`${path}/${enc(created.data.id)}`);
    } catch (err) {
      setError(err);
    }
  };
  if (!canWrite) return null;
  return (
    <form onSubmit={submit} className="inline-form">
      <label>
        New {noun} name
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      {withDescription ? (
        <label>
          Description
          <input maxLength={5000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      ) : null}
      <button type="submit" className="primary">
        Create {noun}
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}

/** A notification group's addresses, one a line; create or change. */
export function NotificationGroupForm({
  group,
  onSaved,
}: {
  group?: { id: string; name: string; emails: string[] };
  onSaved(id: string): void;
}) {
  const canWrite = useCanWrite();
  const [name, setName] = useState(group?.name ?? '');
  const [emails, setEmails] = useState((group?.emails ?? []).join('\n'));
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const body = {
      name: name.trim(),
      emails: emails
        .split(/[\n,]/)
        .map((e) => e.trim())
        .filter(Boolean),
    };
    try {
      const saved = group
        ? await request<{ data: { id: string } }>(`/notification-groups/${enc(group.id)}`, { method: 'PATCH', body })
        : await request<{ data: { id: string } }>('/notification-groups', { method: 'POST', body });
      onSaved(saved.data.id);
    } catch (err) {
      setError(err);
    }
  };
  if (!canWrite) return null;
  return (
    <form onSubmit={submit} className="card stack" aria-label={group ? `Group ${group.name}` : 'New notification group'}>
      <label>
        Group name
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Email addresses (one a line)
        <textarea rows={4} value={emails} onChange={(e) => setEmails(e.target.value)} />
      </label>
      <ErrorMessage error={error} />
      <div>
        <button type="submit" className="primary">
          {group ? 'Save group' : 'Create group'}
        </button>
      </div>
    </form>
  );
}
