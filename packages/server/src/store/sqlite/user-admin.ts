import { AppError } from '@weft/schema';
import type { UserAdminStoreMethods } from '../user-admin-types.js';
import { LAST_ADMINISTRATOR_MESSAGE } from '../user-admin-types.js';
import type { SqliteContext } from './context.js';
import { toTokenGrant, toUser } from './rows.js';
import type { TokensTable } from './tables.js';

// Read on every authenticated bearer request (at most once a second per token): fixed SQL, prepared once.
const TOKEN_GRANT_SQL =
  'SELECT t.id, t.user_id, t.company_id, t.expires_at, t.revoked_at, u.role FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?';

/** Changing and removing users; the last-administrator check runs inside the write, where writes are serial. */
export function userAdminMethods({ db }: SqliteContext): UserAdminStoreMethods {
  const k = db.kysely;

  const getRow = (companyId: string, userId: string) =>
    db.first(k.selectFrom('users').selectAll().where('company_id', '=', companyId).where('id', '=', userId));

  /** Whether another administrator than this user exists in the company. */
  const otherAdministrator = (companyId: string, userId: string) =>
    db.first(
      k.selectFrom('users').select('id').where('company_id', '=', companyId).where('role', '=', 'administrator').where('id', '!=', userId),
    ) !== undefined;

  return {
    async updateUser(companyId, userId, patch) {
      return db.write(() => {
        const row = getRow(companyId, userId);
        if (!row) return undefined;
        const demotes = row.role === 'administrator' && patch.role !== undefined && patch.role !== 'administrator';
        if (demotes && !otherAdministrator(companyId, userId)) throw new AppError('LAST_ADMINISTRATOR', LAST_ADMINISTRATOR_MESSAGE);
        const set = {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.role === undefined ? {} : { role: patch.role }),
        };
        if (Object.keys(set).length > 0) db.execute(k.updateTable('users').set(set).where('id', '=', userId));
        return toUser({ ...row, ...set });
      });
    },

    async deleteUser(companyId, userId) {
      return db.write(() => {
        const row = getRow(companyId, userId);
        if (!row) return false;
        if (row.role === 'administrator' && !otherAdministrator(companyId, userId)) {
          throw new AppError('LAST_ADMINISTRATOR', LAST_ADMINISTRATOR_MESSAGE);
        }
        // The foreign key cascades too; deleting them here does not depend on the pragma being on.
        db.execute(k.deleteFrom('tokens').where('user_id', '=', userId));
        db.execute(k.deleteFrom('users').where('id', '=', userId));
        return true;
      });
    },

    async getTokenGrant(id) {
      const row = db.statement(TOKEN_GRANT_SQL).get(id) as (TokensTable & { role: string }) | undefined;
      return row && toTokenGrant(row);
    },
  };
}
