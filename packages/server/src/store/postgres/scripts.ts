import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import type { Script, ScriptLanguage, ScriptStoreMethods, ScriptVersion, ScriptVersionStatus } from '../scripts-types.js';
import { nowIso, type PostgresContext, pageWindow } from './context.js';

interface ScriptRow {
  id: string;
  company_id: string;
  name: string;
  language: string;
  description: string;
  draft_number: number;
  deployed_number: number | null;
  deployed_at: string | null;
  created_at: string;
  updated_at: string;
}

interface VersionRow {
  script_id: string;
  company_id: string;
  number: number;
  status: string;
  source: string;
  compiled: string | null;
  created_at: string;
  updated_at: string;
  deployed_at: string | null;
}

const UNIQUE_VIOLATION = '23505';

function toScript(row: ScriptRow): Script {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    language: row.language as ScriptLanguage,
    description: row.description,
    draftNumber: Number(row.draft_number),
    deployedNumber: row.deployed_number === null ? null : Number(row.deployed_number),
    deployedAt: row.deployed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toScriptVersion(row: VersionRow): ScriptVersion {
  return {
    scriptId: row.script_id,
    companyId: row.company_id,
    number: Number(row.number),
    status: row.status as ScriptVersionStatus,
    source: row.source,
    compiled: row.compiled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deployedAt: row.deployed_at,
  };
}

function nameTaken(name: string): AppError {
  return new AppError('CONFLICT', `A script named ${JSON.stringify(name)} exists already in this company; choose another name.`);
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === UNIQUE_VIOLATION;

/** Company scripts and their versions; the name's uniqueness is the unique index's to decide. */
export function scriptMethods({ db }: PostgresContext): ScriptStoreMethods {
  const readScript = async (companyId: string, id: string) => {
    const row = await db.row<ScriptRow>('SELECT * FROM scripts WHERE company_id = $1 AND id = $2', [companyId, id]);
    return row && toScript(row);
  };

  return {
    async createScript(companyId, input) {
      try {
        return await db.transaction(async (client) => {
          const id = newId();
          const at = nowIso();
          const row = await db.row<ScriptRow>(
            `INSERT INTO scripts (id, company_id, name, language, description, draft_number, created_at, updated_at)
             SELECT $1::text, c.id, $3::text, $4::text, $5::text, 1, $6::timestamptz, $6::timestamptz FROM companies c WHERE c.id = $2
             RETURNING *`,
            [id, companyId, input.name, input.language, input.description, at],
            client,
          );
          if (row === undefined) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
          await db.run(
            `INSERT INTO script_versions (script_id, company_id, number, status, source, created_at, updated_at)
             VALUES ($1, $2, 1, 'draft', $3, $4, $4)`,
            [id, companyId, input.source, at],
            client,
          );
          return toScript(row);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name);
        throw err;
      }
    },

    async getScript(companyId, scriptId) {
      return readScript(companyId, scriptId);
    },

    async listScripts(companyId, filters, page) {
      const { limit, offset } = pageWindow(page);
      const where = filters.name === undefined ? 'company_id = $1' : 'company_id = $1 AND strpos(lower(name), lower($2)) > 0';
      const params: unknown[] = filters.name === undefined ? [companyId] : [companyId, filters.name];
      const n = params.length;
      const rows = await db.rows<ScriptRow>(
        `SELECT * FROM scripts WHERE ${where} ORDER BY name COLLATE "C", id LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, limit, offset],
      );
      const total = Number((await db.row<{ n: number }>(`SELECT count(*) AS n FROM scripts WHERE ${where}`, params))?.n ?? 0);
      return { rows: rows.map(toScript), total };
    },

    async updateScript(companyId, scriptId, patch) {
      try {
        return await db.transaction(async (client) => {
          const at = nowIso();
          const values: Array<[string, unknown, string]> = [];
          if (patch.name !== undefined) values.push(['name', patch.name, 'text']);
          if (patch.language !== undefined) values.push(['language', patch.language, 'text']);
          if (patch.description !== undefined) values.push(['description', patch.description, 'text']);
          values.push(['updated_at', at, 'timestamptz']);
          const sets = values.map(([column, , cast], i) => `${column} = $${i + 3}::${cast}`).join(', ');
          const row = await db.row<ScriptRow>(
            `UPDATE scripts SET ${sets} WHERE company_id = $1 AND id = $2 RETURNING *`,
            [companyId, scriptId, ...values.map(([, value]) => value)],
            client,
          );
          if (row === undefined) return undefined;
          if (patch.source !== undefined) {
            await db.run(
              `UPDATE script_versions SET source = $3, updated_at = $4 WHERE company_id = $1 AND script_id = $2 AND status = 'draft'`,
              [companyId, scriptId, patch.source, at],
              client,
            );
          }
          return toScript(row);
        });
      } catch (err) {
        if (isUniqueViolation(err) && patch.name !== undefined) throw nameTaken(patch.name);
        throw err;
      }
    },

    async deleteScript(companyId, scriptId) {
      return db.transaction(async (client) => {
        await db.run('DELETE FROM script_versions WHERE company_id = $1 AND script_id = $2', [companyId, scriptId], client);
        return (await db.run('DELETE FROM scripts WHERE company_id = $1 AND id = $2', [companyId, scriptId], client)) > 0;
      });
    },

    async listScriptVersions(companyId, scriptId) {
      if ((await readScript(companyId, scriptId)) === undefined) return undefined;
      const rows = await db.rows<VersionRow>(
        'SELECT * FROM script_versions WHERE company_id = $1 AND script_id = $2 ORDER BY number DESC',
        [companyId, scriptId],
      );
      return rows.map(toScriptVersion);
    },

    async getScriptVersion(companyId, scriptId, number) {
      const row = await db.row<VersionRow>('SELECT * FROM script_versions WHERE company_id = $1 AND script_id = $2 AND number = $3', [
        companyId,
        scriptId,
        number,
      ]);
      return row && toScriptVersion(row);
    },

    async deployScript(companyId, scriptId, input) {
      return db.transaction(async (client) => {
        // The script row's lock makes concurrent deploys of one script take turns.
        const script = await db.row<ScriptRow>(
          'SELECT * FROM scripts WHERE company_id = $1 AND id = $2 FOR UPDATE',
          [companyId, scriptId],
          client,
        );
        if (script === undefined) return undefined;
        const draftNumber = Number(script.draft_number);
        const draft = await db.row<VersionRow>(
          'SELECT * FROM script_versions WHERE script_id = $1 AND number = $2',
          [scriptId, draftNumber],
          client,
        );
        if (draft === undefined) throw new AppError('INTERNAL', `The script ${scriptId} has no draft.`);
        if (draft.source !== input.source) {
          throw new AppError('CONFLICT', 'The draft changed while it was being deployed; deploy again to deploy the latest code.');
        }
        const at = nowIso();
        await db.run(
          `UPDATE script_versions SET status = 'inactive', updated_at = $2 WHERE script_id = $1 AND status = 'deployed'`,
          [scriptId, at],
          client,
        );
        const deployed = await db.row<VersionRow>(
          `UPDATE script_versions SET status = 'deployed', compiled = $3, updated_at = $4, deployed_at = $4
           WHERE script_id = $1 AND number = $2 RETURNING *`,
          [scriptId, draftNumber, input.compiled, at],
          client,
        );
        await db.run(
          `INSERT INTO script_versions (script_id, company_id, number, status, source, created_at, updated_at)
           VALUES ($1, $2, $3, 'draft', $4, $5, $5)`,
          [scriptId, companyId, draftNumber + 1, draft.source, at],
          client,
        );
        await db.run(
          'UPDATE scripts SET draft_number = $2, deployed_number = $3, deployed_at = $4, updated_at = $4 WHERE id = $1',
          [scriptId, draftNumber + 1, draftNumber, at],
          client,
        );
        if (deployed === undefined) throw new AppError('INTERNAL', `The draft of script ${scriptId} vanished during deploy.`);
        return toScriptVersion(deployed);
      });
    },

    async loadDeployedScript(companyId, name, version) {
      const row =
        version === undefined
          ? await db.row<{ compiled: string | null; number: number }>(
              `SELECT v.compiled, v.number FROM scripts s JOIN script_versions v ON v.script_id = s.id AND v.number = s.deployed_number
               WHERE s.company_id = $1 AND s.name = $2`,
              [companyId, name],
            )
          : await db.row<{ compiled: string | null; number: number }>(
              `SELECT v.compiled, v.number FROM scripts s JOIN script_versions v ON v.script_id = s.id
               WHERE s.company_id = $1 AND s.name = $2 AND v.number = $3 AND v.compiled IS NOT NULL`,
              [companyId, name, version],
            );
      if (row === undefined || row.compiled === null) return undefined;
      return { code: row.compiled, version: Number(row.number) };
    },
  };
}
