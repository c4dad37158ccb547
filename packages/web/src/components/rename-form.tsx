import { type FormEvent, useState } from 'react';
import { request } from '../api/client';
import { ErrorMessage } from './error-message';

/**
 * Changes an item's name and description (PATCH), folded away under "Rename or describe"; a name
 * the server refuses shows its message and field.
 */
export function RenameForm({
  api,
  noun,
  name,
  description,
  onSaved,
}: {
  api: string;
  noun: string;
  name: string;
  description: string | null;
  onSaved(): void;
}) {
  const [draft, setDraft] = useState({ name, description: description ?? '' });
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await request(api, { method: 'PATCH', body: { name: draft.name.trim(), description: draft.description.trim() } });
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <details>
      <summary>Rename or describe</summary>
      <form onSubmit={submit} className="inline-form" aria-label={`Rename or describe the ${noun}`}>
        <label>
          Name of the {noun}
          <input required maxLength={128} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        </label>
        <label>
          Description
          <input maxLength={2000} value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} />
        </label>
        <button type="submit">Save</button>
        <ErrorMessage error={error} />
      </form>
    </details>
  );
}
