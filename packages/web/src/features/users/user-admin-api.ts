import type { Role } from '@weft/schema';
import { request } from '../../api/client';
import type { User } from '../../api/types';

const id = encodeURIComponent;

/** Changing and removing users (administrators only); beside the page rather than in endpoints.ts, which many pages share. */
export const userAdminApi = {
  updateUser: (userId: string, body: { name?: string; role?: Role }) =>
    request<{ data: User }>(`/users/${id(userId)}`, { method: 'PATCH', body }).then((r) => r.data),
  deleteUser: (userId: string) => request<void>(`/users/${id(userId)}`, { method: 'DELETE' }),
};
