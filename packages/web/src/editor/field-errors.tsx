import type { FieldErrors } from '@weft/schema';

/** Field problems from the last save, each under its path. */
export function FieldErrorList({ errors, testId }: { errors: FieldErrors; testId?: string }) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <ul className="field-errors" role="alert" data-testid={testId}>
      {entries.map(([path, messages]) => (
        <li key={path}>
          {path ? <code>{path}</code> : null} {messages.join('; ')}
        </li>
      ))}
    </ul>
  );
}
