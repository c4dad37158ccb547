import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import type { Store } from '../types.js';
import { nowIso, type SqliteContext } from './context.js';
import { toApiKey, toCompany, toUser, toUserWithSecret } from './rows.js';
import type { ApiKeysTable } from './tables.js';

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

// Every request authenticated by an API key reads it: fixed SQL, prepared once.
const SQL = {
  apiKeyByHash: 'SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL',
  touchApiKey: 'UPDATE api_keys SET last_used_at = ? WHERE id = ?',
} as const;

/** Settings, companies, users, tokens and API keys. */
export function accountMethods({ db }: SqliteContext): AccountMethods {
  const k = db.kysely;

  function emailTaken(email: string): AppError {
    return new AppError('EMAIL_TAKEN', `The email ${email} is already registered.`, { details: { email: ['is already taken'] } });
  }

  function insertUser(companyId: string, input: { name: string; email: string; passwordHash: string; role: string }, createdAt: string) {
    const email = input.email.trim().toLowerCase();
    if (db.first(k.selectFrom('users').select('id').where('email', '=', email)) !== undefined) throw emailTaken(email);
    const row = {
      id: newId(),
      company_id: companyId,
      name: input.name,
      email,
      role: input.role,
      password_hash: input.passwordHash,
      created_at: createdAt,
    };
    db.execute(k.insertInto('users').values(row));
    return row;
  }

  const getApiKeyRow = (companyId: string, id: string) =>
    db.first(k.selectFrom('api_keys').selectAll().where('company_id', '=', companyId).where('id', '=', id));

  return {
    async getSetting(key) {
      return db.first(k.selectFrom('settings').select('value').where('key', '=', key))?.value;
    },

    async initSetting(key, value) {
      return db.write(() => {
        db.execute(
          k
            .insertInto('settings')
            .values({ key, value })
            .onConflict((oc) => oc.column('key').doNothing()),
        );
        const stored = db.first(k.selectFrom('settings').select('value').where('key', '=', key));
        if (stored === undefined) throw new AppError('INTERNAL', `The setting ${key} was not stored.`);
        return stored.value;
      });
    },

    async createCompanyWithAdmin(input) {
      return db.write(() => {
        const createdAt = nowIso();
        const company = { id: newId(), name: input.companyName, created_at: createdAt };
        db.execute(k.insertInto('companies').values(company));
        const user = insertUser(company.id, { ...input, role: 'administrator' }, createdAt);
        return { company: toCompany(company), user: toUser(user) };
      });
    },

    async getCompany(companyId) {
      const row = db.first(k.selectFrom('companies').selectAll().where('id', '=', companyId));
      return row && toCompany(row);
    },

    async createUser(companyId, input) {
      return db.write(() => {
        if (db.first(k.selectFrom('companies').select('id').where('id', '=', companyId)) === undefined) {
          throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        }
        return toUser(insertUser(companyId, input, nowIso()));
      });
    },

    async findUserByEmail(email) {
      const row = db.first(k.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()));
      return row && toUserWithSecret(row);
    },

    async getUser(companyId, userId) {
      const row = db.first(k.selectFrom('users').selectAll().where('company_id', '=', companyId).where('id', '=', userId));
      return row && toUser(row);
    },

    async listUsers(companyId) {
      return db.all(k.selectFrom('users').selectAll().where('company_id', '=', companyId).orderBy('id')).map(toUser);
    },

    async createToken(input) {
      await db.write(() =>
        db.execute(
          k
            .insertInto('tokens')
            .values({ id: input.id, user_id: input.userId, company_id: input.companyId, expires_at: input.expiresAt, revoked_at: null }),
        ),
      );
    },

    async revokeToken(id) {
      await db.write(() =>
        db.execute(k.updateTable('tokens').set({ revoked_at: nowIso() }).where('id', '=', id).where('revoked_at', 'is', null)),
      );
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
      await db.write(() => db.execute(k.insertInto('api_keys').values(row)));
      return toApiKey(row);
    },

    async findApiKeyByHash(keyHash) {
      const row = db.statement(SQL.apiKeyByHash).get(keyHash) as ApiKeysTable | undefined;
      return row && toApiKey(row);
    },

    async listApiKeys(companyId) {
      return db
        .all(k.selectFrom('api_keys').selectAll().where('company_id', '=', companyId).orderBy('created_at', 'desc').orderBy('id', 'desc'))
        .map(toApiKey);
    },

    async revokeApiKey(companyId, id) {
      return db.write(() => {
        db.execute(
          k
            .updateTable('api_keys')
            .set({ revoked_at: nowIso() })
            .where('company_id', '=', companyId)
            .where('id', '=', id)
            .where('revoked_at', 'is', null),
        );
        const row = getApiKeyRow(companyId, id);
        return row && toApiKey(row);
      });
    },

    async deleteApiKey(companyId, id) {
      return (await db.write(() => db.execute(k.deleteFrom('api_keys').where('company_id', '=', companyId).where('id', '=', id)))) > 0;
    },

    async touchApiKey(id, at) {
      await db.write(() => db.statement(SQL.touchApiKey).run(at, id));
    },
  };
}
