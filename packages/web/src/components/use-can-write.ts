import { useSession } from '../features/auth/session';

/** Whether the signed-in user may change things: read_only users see the data without the buttons that would fail with 403. */
export function useCanWrite(): boolean {
  const { me } = useSession();
  return me !== null && me.role !== 'read_only';
}
