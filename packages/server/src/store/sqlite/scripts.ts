import { AppError } from '@weft/schema';
import { newId } from '../ids.js';
import type { Script, ScriptLanguage, ScriptStoreMethods, ScriptVersion, ScriptVersionStatus } from '../scripts-types.js';
import { nowIso, type SqliteContext } from './context.js';
import { pageWindow } from './flows.js';

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

const SQL = {
  script: 'SELECT * FROM scripts WHERE company_id = ? AND id = ?',
  byName: 'SELECT * FROM scripts WHERE company_id = ? AND name = ?',
  insertScript: `INSERT INTO scripts (id, company_id, name, language, description, draft_number, deployed_number, deployed_at, created_at, updated_at)
    SELECT ?, c.id, ?, ?, ?, 1, NULL, NULL, ?, ? FROM companies c WHERE c.id = ?`,
  insertVersion: `INSERT INTO script_versions (script_id, company_id, number, status, source, compiled, created_at, updated_at, deployed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  versions: 'SELECT * FROM script_versions WHERE company_id = ? AND script_id = ? ORDER BY number DESC',
  version: 'SELECT * FROM script_versions WHERE company_id = ? AND script_id = ? AND number = ?',
  updateDraftSource: `UPDATE script_versions SET source = ?, updated_at = ? WHERE company_id = ? AND script_id = ? AND status = 'draft'`,
  deactivate: `UPDATE script_versions SET status = 'inactive', updated_at = ? WHERE company_id = ? AND script_id = ? AND status = 'deployed'`,
  deployDraft: `UPDATE script_versions SET status = 'deployed', compiled = ?, updated_at = ?, deployed_at = ?
    WHERE company_id = ? AND script_id = ? AND number = ?`,
  markDeployed: 'UPDATE scripts SET draft_number = ?, deployed_number = ?, deployed_at = ?, updated_at = ? WHERE company_id = ? AND id = ?',
  deleteVersions: 'DELETE FROM script_versions WHERE company_id = ? AND script_id = ?',
  deleteScript: 'DELETE FROM scripts WHERE company_id = ? AND id = ?',
  loadDeployed: `SELECT v.compiled, v.number FROM scripts s JOIN script_versions v ON v.script_id = s.id AND v.number = s.deployed_number
    WHERE s.company_id = ? AND s.name = ?`,
  loadNumber: `SELECT v.compiled, v.number FROM scripts s JOIN script_versions v ON v.script_id = s.id
    WHERE s.company_id = ? AND s.name = ? AND v.number = ? AND v.compiled IS NOT NULL`,
} as const;

export function toScript(row: ScriptRow): Script {
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

export function toScriptVersion(row: VersionRow): ScriptVersion {
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

export function nameTaken(name: string): AppError {
  return new AppError('CONFLICT', `A script named ${JSON.stringify(name)} exists already in this company; choose another name.`);
}

/** Company scripts and their versions. */
export function scriptMethods({ db }: SqliteContext): ScriptStoreMethods {
  const readScript = (companyId: string, id: string) => {
    const row = db.statement(SQL.script).get(companyId, id) as ScriptRow | undefined;
    return row && toScript(row);
  };
  const nameOwner = (companyId: string, name: string) => (db.statement(SQL.byName).get(companyId, name) as ScriptRow | undefined)?.id;

  return {
    async createScript(companyId, input) {
      return db.write(() => {
        if (nameOwner(companyId, input.name) !== undefined) throw nameTaken(input.name);
        const id = newId();
        const at = nowIso();
        const inserted = db.statement(SQL.insertScript).run(id, input.name, input.language, input.description, at, at, companyId);
        if (inserted.changes === 0) throw new AppError('NOT_FOUND', `The company ${companyId} does not exist.`);
        db.statement(SQL.insertVersion).run(id, companyId, 1, 'draft', input.source, null, at, at, null);
        const script = readScript(companyId, id);
        if (script === undefined) throw new AppError('INTERNAL', `The script ${id} was not stored.`);
        return script;
      });
    },

    async getScript(companyId, scriptId) {
      return readScript(companyId, scriptId);
    },

    async listScripts(companyId, filters, page) {
      const { limit, offset } = pageWindow(page);
      const where = filters.name === undefined ? 'company_id = ?' : 'company_id = ? AND instr(lower(name), lower(?)) > 0';
      const params = filters.name === undefined ? [companyId] : [companyId, filters.name];
      const rows = db
        .statement(`SELECT * FROM scripts WHERE ${where} ORDER BY name, id LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as ScriptRow[];
      const total = (db.statement(`SELECT count(*) AS n FROM scripts WHERE ${where}`).get(...params) as { n: number }).n;
      return { rows: rows.map(toScript), total };
    },

    async updateScript(companyId, scriptId, patch) {
      return db.write(() => {
        if (readScript(companyId, scriptId) === undefined) return undefined;
        if (patch.name !== undefined) {
          const owner = nameOwner(companyId, patch.name);
          if (owner !== undefined && owner !== scriptId) throw nameTaken(patch.name);
        }
        const at = nowIso();
        const values = {
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.language !== undefined && { language: patch.language }),
          ...(patch.description !== undefined && { description: patch.description }),
          updated_at: at,
        };
        const columns = Object.keys(values);
        db.statement(`UPDATE scripts SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE company_id = ? AND id = ?`).run(
          ...Object.values(values),
          companyId,
          scriptId,
        );
        if (patch.source !== undefined) db.statement(SQL.updateDraftSource).run(patch.source, at, companyId, scriptId);
        return readScript(companyId, scriptId);
      });
    },

    async deleteScript(companyId, scriptId) {
      return db.write(() => {
        db.statement(SQL.deleteVersions).run(companyId, scriptId);
        return db.statement(SQL.deleteScript).run(companyId, scriptId).changes > 0;
      });
    },

    async listScriptVersions(companyId, scriptId) {
      if (readScript(companyId, scriptId) === undefined) return undefined;
      return (db.statement(SQL.versions).all(companyId, scriptId) as VersionRow[]).map(toScriptVersion);
    },

    async getScriptVersion(companyId, scriptId, number) {
      const row = db.statement(SQL.version).get(companyId, scriptId, number) as VersionRow | undefined;
      return row && toScriptVersion(row);
    },

    async deployScript(companyId, scriptId, input) {
      return db.write(() => {
        const script = readScript(companyId, scriptId);
        if (script === undefined) return undefined;
        const draft = db.statement(SQL.version).get(companyId, scriptId, script.draftNumber) as VersionRow | undefined;
        if (draft === undefined) throw new AppError('INTERNAL', `The script ${scriptId} has no draft.`);
        if (draft.source !== input.source) {
          throw new AppError('CONFLICT', 'The draft changed while it was being deployed; deploy again to deploy the latest code.');
        }
        const at = nowIso();
        db.statement(SQL.deactivate).run(at, companyId, scriptId);
        db.statement(SQL.deployDraft).run(input.compiled, at, at, companyId, scriptId, script.draftNumber);
        const next = script.draftNumber + 1;
        db.statement(SQL.insertVersion).run(scriptId, companyId, next, 'draft', draft.source, null, at, at, null);
        db.statement(SQL.markDeployed).run(next, script.draftNumber, at, at, companyId, scriptId);
        const deployed = db.statement(SQL.version).get(companyId, scriptId, script.draftNumber) as VersionRow;
        return toScriptVersion(deployed);
      });
    },

    async loadDeployedScript(companyId, name, version) {
      const row = (
        version === undefined
          ? db.statement(SQL.loadDeployed).get(companyId, name)
          : db.statement(SQL.loadNumber).get(companyId, name, version)
      ) as { compiled: string | null; number: number } | undefined;
      if (row === undefined || row.compiled === null) return undefined;
      return { code: row.compiled, version: Number(row.number) };
    },
  };
}
