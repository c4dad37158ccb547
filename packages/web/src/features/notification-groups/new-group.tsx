import { useCanWrite } from '../../components/use-can-write';
import { navigate } from '../../router';
import { NotificationGroupForm } from '../resources/resource-forms';

/** The list page's "New notification group" disclosure; read-only users, who cannot create one, do not see it. */
export function NewNotificationGroup() {
  const canWrite = useCanWrite();
  if (!canWrite) return null;
  return (
    <details>
      <summary>New notification group</summary>
      <NotificationGroupForm onSaved={(id) => navigate(`/notification-groups/${encodeURIComponent(id)}`)} />
    </details>
  );
}
