/** A run or version status as a coloured label; the word is always shown, colour is only a help. */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">—</span>;
  return <span className={`badge badge-${status}`}>{status.replace('_', ' ')}</span>;
}
