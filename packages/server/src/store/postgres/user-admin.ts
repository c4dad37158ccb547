import { AppError } from '@weft/schema';
import type { UserAdminStoreMethods } from '../user-admin-types.js';
import { LAST_ADMINISTRATOR_MESSAGE } from '../user-admin-types.js';
import type { PostgresContext } from './context.js';
import { statement } from './database.js';
import { toTokenGrant, toUser } from './rows.js';
import type { TokensTable, UsersTable } from './tables.js';

const SQL = {
  // Read on every authenticated bearer request (at most once a second per token): prepared once per connection.
  tokenGrant: statement(
    'SELECT t.id, t.user_id, t.company_id, t.expires_at, t.revoked_at, u.role FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1',
  ),
  // Locks every administrator of the company, so concurrent demotions and removals queue here; one that
  // waited sees the other's committed change (a demoted row no longer matches) and counts correctly.
  lockAdministrators: "SELECT id FROM users WHERE company_id = $1 AND role = 'administrator' ORDER BY id FOR UPDATE",
  lockUser: 'SELECT * FROM users WHERE company_id = $1 AND id = $2 FOR UPDATE',
} as const;

/** Changing and removing users, each in one transaction with the last-administrator check. */
export function userAdminMethods({ db }: PostgresContext): UserAdminStoreMethods {
  return {
    async updateUser(companyId, userId, patch) {
      return db.transaction(async (client) => {
        const admins = await db.rows<{ id: string }>(SQL.lockAdministrators, [companyId], client);
        const row = await db.row<UsersTable>(SQL.lockUser, [companyId, userId], client);
        if (!row) return undefined;
        const demotes = row.role === 'administrator' && patch.role !== undefined && patch.role !== 'administrator';
        if (demotes && !admins.some((a) => a.id !== userId)) throw new AppError('LAST_ADMINISTRATOR', LAST_ADMINISTRATOR_MESSAGE);
        const updated = await db.row<UsersTable>(
          'UPDATE users SET name = COALESCE($3, name), role = COALESCE($4, role) WHERE company_id = $1 AND id = $2 RETURNING *',
          [companyId, userId, patch.name ?? null, patch.role ?? null],
          client,
        );
        return updated && toUser(updated);
      });
    },

    async deleteUser(companyId, userId) {
      return db.transaction(async (client) => {
        const admins = await db.rows<{ id: string }>(SQL.lockAdministrators, [companyId], client);
        const row = await db.row<UsersTable>(SQL.lockUser, [companyId, userId], client);
        if (!row) return false;
        if (row.role === 'administrator' && !admins.some((a) => a.id !== userId)) {
          throw new AppError('LAST_ADMINISTRATOR', LAST_ADMINISTRATOR_MESSAGE);
        }
        await db.run('DELETE FROM tokens WHERE user_id = $1', [userId], client);
        return (await db.run('DELETE FROM users WHERE company_id = $1 AND id = $2', [companyId, userId], client)) > 0;
      });
    },

    async getTokenGrant(id) {
      const row = await db.row<TokensTable & { role: string }>(SQL.tokenGrant, [id]);
      return row && toTokenGrant(row);
    },
  };
}
