import type { Page, PageResult } from './types.js';

export type ScriptLanguage = 'javascript' | 'typescript';

/**
 * A version of a script: the draft (exactly one per script, editable), the deployed one (at most
 * one, what the `script` shape runs by default) or an inactive one (deployed earlier, still
 * runnable by steps that pin its number). Deployed and inactive versions never change.
 */
export type ScriptVersionStatus = 'draft' | 'deployed' | 'inactive';

export interface Script {
  id: string;
  companyId: string;
  /** Unique within the company; `script` steps name it. */
  name: string;
  language: ScriptLanguage;
  description: string;
  /** The number of the draft version. */
  draftNumber: number;
  /** The number of the deployed version; null until the first deploy. */
  deployedNumber: number | null;
  deployedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScriptVersion {
  scriptId: string;
  companyId: string;
  number: number;
  status: ScriptVersionStatus;
  /** The code as written, in the script's language. */
  source: string;
  /** The JavaScript that runs (TypeScript transpiled at deploy); null for the draft. */
  compiled: string | null;
  createdAt: string;
  updatedAt: string;
  deployedAt: string | null;
}

export interface ScriptInput {
  name: string;
  language: ScriptLanguage;
  description: string;
  /** The code of the first draft. */
  source: string;
}

/** `source` replaces the draft's code; the other fields change the script itself. */
export type ScriptPatch = Partial<ScriptInput>;

/** Company scripts with versions (the store's part for /api/v1/scripts and the `script` shape). */
export interface ScriptStoreMethods {
  /** Creates the script and its draft version 1. Throws AppError CONFLICT when the name is taken in the company. */
  createScript(companyId: string, input: ScriptInput): Promise<Script>;
  getScript(companyId: string, scriptId: string): Promise<Script | undefined>;
  /** Ordered by name; `name` filters by case-insensitive substring. */
  listScripts(companyId: string, filters: { name?: string }, page: Page): Promise<PageResult<Script>>;
  /** Throws AppError CONFLICT when the new name is taken. */
  updateScript(companyId: string, scriptId: string, patch: ScriptPatch): Promise<Script | undefined>;
  /** Deletes the script and every version of it. */
  deleteScript(companyId: string, scriptId: string): Promise<boolean>;
  /** Newest first; undefined for an unknown script. */
  listScriptVersions(companyId: string, scriptId: string): Promise<ScriptVersion[] | undefined>;
  getScriptVersion(companyId: string, scriptId: string, number: number): Promise<ScriptVersion | undefined>;
  /**
   * In one transaction: the draft becomes the deployed version with `compiled` as its code, the
   * previously deployed version becomes inactive, and a copy of the draft becomes the new draft
   * (number + 1). `source` is the draft code that was compiled: when the draft changed meanwhile,
   * throws AppError CONFLICT and deploys nothing. Returns the version deployed.
   */
  deployScript(companyId: string, scriptId: string, input: { source: string; compiled: string }): Promise<ScriptVersion | undefined>;
  /**
   * The runnable code of the company's script named `name`: the deployed version, or the version
   * numbered `version` when it was ever deployed. Undefined when there is no such script or version.
   */
  loadDeployedScript(companyId: string, name: string, version?: number): Promise<{ code: string; version: number } | undefined>;
}
