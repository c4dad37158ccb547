import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type PostgresContext } from './context.js';
import { type Queryable, statement } from './database.js';
import { toApiKey, toCompany, toUser, toUserWithSecret } from './rows.js';
import type { ApiKeysTable, SettingsTable, UsersTable } from './tables.js';

type AccountMethods = Pick<
  Store,
  | 'getSetting'
  | 'initSetting'
  | 'createCompanyWithAdmin'
  | 'getCompany'
  | 'createUser'
  | 'findUserByEmail'
  | 'getUser'
  | 'listUsers'
  | 'createToken'
  | 'revokeToken'
  | 'createApiKey'
  | 'findApiKeyByHash'
  | 'listApiKeys'
  | 'revokeApiKey'
  | 'deleteApiKey'
  | 'touchApiKey'
>;

// Frequent reads (the API key of every request it authenticates, settings, login): fixed SQL, prepared once per connection.
const SQL = {
  setting: statement('SELECT value FROM settings WHERE key = $1'),
  apiKeyByHash: statement('SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL'),
  touchApiKey: statement('UPDATE api_keys SET last_used_at = $1 WHERE id = $2'),
  userByEmail: statement('SELECT * FROM users WHERE email = $1'),
  // Inserting from the company row makes "the company exists" part of the same statement.
  insertUser: statement(`INSERT INTO users (id, company_id, name, email, role, password_hash, created_at)
    SELECT $1::text, c.id, $3::text, $4::text, $5::text, $6::text, $7::timestamptz FROM companies c WHERE c.id = $2 RETURNING *`),
} as const;

const UNIQUE_VIOLATION = '23505';

/** Settings, companies, users, tokens and API keys. */
export function accountMethods({ db }: PostgresContext): AccountMethods {
  const k = db.kysely;

  function emailTaken(email: string): AppError {
    return new AppError('EMAIL_TAKEN', `The email ${email} is already registered.`, { details: { email: ['is already taken'] } });
  }

  async function insertUser(
    on: Queryable,
    companyId: string,
    input: { name: string; email: string; passwordHash: string; role: string },
    createdAt: string,
  ): Promise<UsersTable | undefined> {
    const email = input.email.trim().toLowerCase();
    try {
      return await db.row<UsersTable>(
        SQL.insertUser,
        [newId(), companyId, input.name, email, input.role, input.passwordHash, createdAt],
        on,
      );
    } catch (err) {
      // The unique constraint, not a prior lookup, decides: two registrations racing for one email.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw emailTaken(email);
      throw err;
    }
  }

  const getApiKeyRow = (companyId: string, id: string) =>
    db.first(k.selectFrom('api_keys').selectAll().where('company_id', '=', companyId).where('id', '=', id));

  return {
    async getSetting(key) {
      return (await db.row<SettingsTable>(SQL.setting, [key]))?.value;
    },

    async initSetting(key, value) {
      await db.run('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
      // A separate statement: it sees a value committed by a concurrent caller after this one's insert began.
      const stored = await db.row<SettingsTable>(SQL.setting, [key]);
      if (stored === undefined) throw new AppError('INTERNAL', `The setting ${key} was not stored.`);
      return stored.value;
    },

    async createCompanyWithAdmin(input) {
      return db.transaction(async (client) => {
        const createdAt = nowIso();
        const company = { id: newId(), name: input.companyName, created_at: createdAt };
        await db.execute(k.insertInto('companies').values(company), client);
        const user = await insertUser(client, company.id, { ...input, role: 'administrator' }, createdAt);
        if (user === undefined) throw new AppError('INTERNAL', `The company ${company.id} was not stored.`);
        return { company: toCompany(company), user: toUser(user) };
      });
    },

    async getCompany(companyId) {
      const row = await db.first(k.selectFrom('companies').selectAll().where('id', '=', companyId));
      return row && toCompany(row);
    },

    async createUser(companyId, input) {
      const row = await insertUser(db.pool, companyId, input, nowIso());
      if (row === undefined) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
      return toUser(row);
    },

    async findUserByEmail(email) {
      const row = await db.row<UsersTable>(SQL.userByEmail, [email.trim().toLowerCase()]);
      return row && toUserWithSecret(row);
    },

    async getUser(companyId, userId) {
      const row = await db.first(k.selectFrom('users').selectAll().where('company_id', '=', companyId).where('id', '=', userId));
      return row && toUser(row);
    },

    async listUsers(companyId) {
      return (await db.all(k.selectFrom('users').selectAll().where('company_id', '=', companyId).orderBy('id'))).map(toUser);
    },

    async createToken(input) {
      await db.execute(
        k
          .insertInto('tokens')
          .values({ id: input.id, user_id: input.userId, company_id: input.companyId, expires_at: input.expiresAt, revoked_at: null }),
      );
    },

    async revokeToken(id) {
      await db.execute(k.updateTable('tokens').set({ revoked_at: nowIso() }).where('id', '=', id).where('revoked_at', 'is', null));
    },

    async createApiKey(companyId, input) {
      const row = {
        id: input.id,
        company_id: companyId,
        name: input.name,
        prefix: input.prefix,
        key_hash: input.keyHash,
        created_at: nowIso(),
        last_used_at: null,
        revoked_at: null,
      };
      await db.execute(k.insertInto('api_keys').values(row));
      return toApiKey(row);
    },

    async findApiKeyByHash(keyHash) {
      const row = await db.row<ApiKeysTable>(SQL.apiKeyByHash, [keyHash]);
      return row && toApiKey(row);
    },

    async listApiKeys(companyId) {
      return (
        await db.all(
          k.selectFrom('api_keys').selectAll().where('company_id', '=', companyId).orderBy('created_at', 'desc').orderBy('id', 'desc'),
        )
      ).map(toApiKey);
    },

    async revokeApiKey(companyId, id) {
      await db.execute(
        k
          .updateTable('api_keys')
          .set({ revoked_at: nowIso() })
          .where('company_id', '=', companyId)
          .where('id', '=', id)
          .where('revoked_at', 'is', null),
      );
      const row = await getApiKeyRow(companyId, id);
      return row && toApiKey(row);
    },

    async deleteApiKey(companyId, id) {
      return (await db.execute(k.deleteFrom('api_keys').where('company_id', '=', companyId).where('id', '=', id))) > 0;
    },

    async touchApiKey(id, at) {
      await db.run(SQL.touchApiKey, [at, id]);
    },
  };
}
