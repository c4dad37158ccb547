import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { request } from '../api/client';
import { ErrorMessage } from './error-message';

/**
 * Uploads a CSV file to an import endpoint (sent as JSON {"csv": "..."}, which every import route
 * takes), then tells the page; a refused file shows the server's message naming the line.
 */
export function CsvImport({
  api,
  title,
  hint,
  query,
  options,
  onDone,
}: {
  api: string;
  title: string;
  hint: string;
  query?: Record<string, string>;
  /** Extra controls (e.g. replace or merge), rendered above the button. */
  options?: ReactNode;
  onDone(result: unknown): string;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const inputId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const csv = await file.text();
      const result = await request(api, { method: 'POST', body: { csv }, ...(query ? { query } : {}) });
      setNotice(onDone(result));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="card stack" aria-label={title}>
      <h2>{title}</h2>
      <label htmlFor={inputId}>CSV file ({hint})</label>
      <input id={inputId} type="file" accept=".csv,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      {options}
      <ErrorMessage error={error} />
      {notice ? <p role="status">{notice}</p> : null}
      <div>
        <button type="submit" disabled={!file || busy}>
          {busy ? 'Importing…' : 'Import the file'}
        </button>
      </div>
    </form>
  );
}
