import type { Role } from '@weft/schema';
import type { TokenRecord, User } from './types.js';

/** A bearer token's record with the current role of its user, read in one query on the auth hot path. */
export interface TokenGrant extends TokenRecord {
  role: Role;
}

/**
 * Changing and removing a company's users. Both refuse, with AppError LAST_ADMINISTRATOR, to leave
 * a company without an administrator; the check and the change happen in one transaction, so two
 * administrators demoting each other at once cannot both succeed.
 */
export interface UserAdminStoreMethods {
  /** Undefined when the user is not the company's. */
  updateUser(companyId: string, userId: string, patch: { name?: string; role?: Role }): Promise<User | undefined>;
  /** Deletes the user and their tokens; false when the user is not the company's. */
  deleteUser(companyId: string, userId: string): Promise<boolean>;
  /** Undefined when the token was never recorded or its user no longer exists. */
  getTokenGrant(id: string): Promise<TokenGrant | undefined>;
}

/** The one error for a change that would leave the company without an administrator. */
export const LAST_ADMINISTRATOR_MESSAGE = 'This is the last administrator of the company; make another user an administrator first.';
