import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../../components/error-message';

/** "Run with payload": the text is sent as the standard start body's `payload` string, so its format is detected. */
export function RunDialog({ onRun, onClose }: { onRun(payload: string): Promise<void>; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [payload, setPayload] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onRun(payload);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="run-dialog-title" className="dialog">
      <form onSubmit={submit} className="stack">
        <h2 id="run-dialog-title">Run with payload</h2>
        <label>
          Payload (JSON, XML, CSV or text)
          <textarea rows={10} className="code" value={payload} onChange={(e) => setPayload(e.target.value)} />
        </label>
        <ErrorMessage error={error} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Start run
          </button>
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
