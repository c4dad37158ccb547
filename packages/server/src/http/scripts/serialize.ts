import type { Script, ScriptVersion } from '../../store/scripts-types.js';

/** A script as the API shows it; `code` (the draft's) only where asked for. */
export function scriptJson(script: Script, draftCode?: string) {
  return {
    id: script.id,
    name: script.name,
    language: script.language,
    description: script.description,
    draft_version: script.draftNumber,
    deployed_version: script.deployedNumber,
    deployed_at: script.deployedAt,
    created_at: script.createdAt,
    updated_at: script.updatedAt,
    ...(draftCode !== undefined && { code: draftCode }),
  };
}

/** A version; the code as written and, once deployed, the JavaScript that runs, only where asked for. */
export function scriptVersionJson(version: ScriptVersion, withCode: boolean) {
  return {
    script_id: version.scriptId,
    number: version.number,
    status: version.status,
    created_at: version.createdAt,
    updated_at: version.updatedAt,
    deployed_at: version.deployedAt,
    ...(withCode && { code: version.source, compiled: version.compiled }),
  };
}
