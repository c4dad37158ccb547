import { useState } from 'react';

/** Any shape's config as JSON, for shapes without a form of their own yet. */
export function JsonConfigForm({
  config,
  onChange,
  readOnly,
}: {
  config: unknown;
  onChange(config: Record<string, unknown>): void;
  readOnly: boolean;
}) {
  const [text, setText] = useState(() => JSON.stringify(config, null, 2));
  const [problem, setProblem] = useState<string | null>(null);

  const apply = () => {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('The config must be a JSON object.');
      setProblem(null);
      onChange(parsed as Record<string, unknown>);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };

  return (
    <div className="stack">
      <label>
        Config (JSON)
        <textarea
          rows={12}
          className="code"
          value={text}
          readOnly={readOnly}
          onChange={(e) => setText(e.target.value)}
          onBlur={readOnly ? undefined : apply}
        />
      </label>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {readOnly ? null : (
        <button type="button" onClick={apply}>
          Apply config
        </button>
      )}
    </div>
  );
}
