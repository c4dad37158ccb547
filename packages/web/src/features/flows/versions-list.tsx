import type { FlowVersion } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { formatTime } from '../../components/format';
import { StatusBadge } from '../../components/status-badge';

/** Every version of the flow, newest first, with its id to copy; choosing one shows it on the canvas. */
export function VersionsList({
  versions,
  selectedId,
  onSelect,
}: {
  versions: FlowVersion[];
  selectedId: string;
  onSelect(id: string): void;
}) {
  return (
    <section className="versions" aria-label="Versions">
      <h2>Versions</h2>
      <ul>
        {versions.map((v) => (
          <li key={v.id} className={v.id === selectedId ? 'current' : undefined} data-testid={`version-${v.number}`}>
            <button
              type="button"
              className="link"
              aria-pressed={v.id === selectedId}
              onClick={() => onSelect(v.id)}
              title={v.deployed_at ? `Deployed ${formatTime(v.deployed_at)}` : `Updated ${formatTime(v.updated_at)}`}
            >
              Version {v.number}
            </button>{' '}
            <StatusBadge status={v.status} />
            <CopyableId id={v.id} label={`id of version ${v.number}`} testId={`version-id-${v.number}`} />
          </li>
        ))}
      </ul>
    </section>
  );
}
