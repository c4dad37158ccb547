import type { ListMeta } from '../api/types';

/** Previous/next page buttons with where the list is; nothing when it fits on one page. */
export function Pager({ meta, onPage, label }: { meta: ListMeta | undefined; onPage(page: number): void; label: string }) {
  if (!meta || meta.last_page <= 1) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={() => onPage(meta.current_page - 1)} disabled={meta.current_page <= 1}>
        Previous page
      </button>
      <span aria-live="polite">
        Page {meta.current_page} of {meta.last_page}
      </span>
      <button type="button" onClick={() => onPage(meta.current_page + 1)} disabled={meta.current_page >= meta.last_page}>
        Next page
      </button>
    </nav>
  );
}
