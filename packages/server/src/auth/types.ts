import type { Role } from '@weft/schema';

/** Who is calling: a user through a login token, or a company through an API key (manager rights). */
export interface AuthContext {
  companyId: string;
  role: Role;
  kind: 'token' | 'api_key';
  userId: string | null;
  /** The token's id (for logout) or the API key's id. */
  credentialId: string;
}

/** What a route requires: `read` any member, `write` manager or administrator, `admin` administrators only. */
export type Access = 'read' | 'write' | 'admin';

const RANK: Record<Role, number> = { read_only: 0, user: 1, manager: 2, administrator: 3 };

export function allows(role: Role, access: Access): boolean {
  if (access === 'read') return true;
  if (access === 'write') return RANK[role] >= RANK.manager;
  return role === 'administrator';
}

/** The auth service the HTTP layer uses; implemented in auth/service.ts. */
export interface AuthService {
  /** Resolves the Authorization header; throws AppError UNAUTHENTICATED with one message for every failure. */
  authenticate(authorization: string | undefined): Promise<AuthContext>;
}
