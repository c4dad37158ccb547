import { type FormEvent, useState } from 'react';
import { api } from '../../api/endpoints';
import { ErrorMessage } from '../../components/error-message';

/** Creates a connector from an OpenAPI 3 document pasted as JSON or YAML (POST /connectors/import/openapi). */
export function OpenApiImport({ onImported }: { onImported(connectorId: string, warnings: string[]): void }) {
  const [document, setDocument] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const result = await api.importOpenApi({ document, ...(baseUrl.trim() === '' ? {} : { base_url: baseUrl.trim() }) });
      onImported(result.data.id, result.meta.warnings);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={submit} aria-label="Import an OpenAPI document">
      <label>
        OpenAPI 3.0 or 3.1 document (JSON or YAML)
        <textarea value={document} onChange={(e) => setDocument(e.target.value)} rows={12} required spellCheck={false} />
      </label>
      <label>
        Base URL (when the document's server is relative or missing)
        <input value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://api.example.com/v1" />
      </label>
      <ErrorMessage error={error} />
      <div>
        <button type="submit" className="primary" disabled={busy || document.trim() === ''}>
          Import
        </button>
      </div>
    </form>
  );
}
