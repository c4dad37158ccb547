import type { LookupTableSource, ScriptStore } from '@weft/engine';
import type { Store } from '../store/types.js';

/**
 * The engine's `scripts` port: a company's deployed script code from the store. Read at each
 * step, so a deploy takes effect with the next step that runs the script.
 */
export function createScriptSource(store: Store): ScriptStore {
  return { load: (companyId, name, version) => store.loadDeployedScript(companyId, name, version) };
}

/** The engine's `lookupTables` port: a company's lookup table rows from the store, read when a map step starts. */
export function createLookupTableSource(store: Store): LookupTableSource {
  return { load: (companyId, name) => store.loadLookupRows(companyId, name) };
}
