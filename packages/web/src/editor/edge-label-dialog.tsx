import { type FormEvent, useEffect, useId, useRef, useState } from 'react';

type Props = {
  from: string;
  to: string;
  /** The labels the source step offers; empty when its config names none yet (then any label may be typed). */
  labels: readonly string[];
  noun: string;
  onChoose(label: string): void;
  onClose(): void;
};

/** Asked when connecting out of a route, branch or try/catch step: which route, branch or path the new edge takes. */
export function EdgeLabelDialog({ from, to, labels, noun, onChoose, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [label, setLabel] = useState(labels[0] ?? '');

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!label.trim()) return;
    onChoose(label.trim());
    ref.current?.close();
  };

  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby={titleId} className="dialog">
      <form onSubmit={submit} className="stack">
        <h2 id={titleId}>Label the connection</h2>
        <p>
          Which {noun} of <code>{from}</code> leads to <code>{to}</code>?
        </p>
        {labels.length > 0 ? (
          <label>
            Edge label
            <select value={label} onChange={(e) => setLabel(e.target.value)}>
              {labels.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Edge label (the step names no {noun}s yet; add them to its settings too)
            <input required value={label} onChange={(e) => setLabel(e.target.value)} />
          </label>
        )}
        <div className="row">
          <button type="submit" className="primary">
            Connect
          </button>
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
