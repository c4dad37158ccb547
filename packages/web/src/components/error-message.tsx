import { ApiError } from '../api/client';

/** An error as people read it: the message, then each field's problems by path. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const message = error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError ? Object.entries(error.fieldErrors) : [];
  return (
    <div className="error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {message}
      {fields.length > 0 ? (
        <ul>
          {fields.map(([path, messages]) => (
            <li key={path}>
              <code>{path}</code> {messages.join('; ')}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
