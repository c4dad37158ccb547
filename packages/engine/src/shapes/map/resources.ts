import { AppError, SCRIPT_TIMEOUT_MAX_SECONDS } from '@weft/schema';
import type { Sandbox } from '../../sandbox/index.js';
import type { ScriptSource } from '../../services.js';
import { LookupIndex, type LookupIndexRow, type ScriptCall } from '../../transforms/index.js';
import type { MapEnv } from './evaluate.js';

/** Where a map's lookup tables and scripts come from: the company's, through EngineServices or the preview's store. */
export interface MapResourceSources {
  loadLookupTable?(name: string): Promise<LookupIndexRow[] | undefined>;
  loadScript?(name: string, version: number | undefined): Promise<ScriptSource | undefined>;
  /** The sandbox scripts run in; called only when a rule has a `script` transform. */
  sandbox?: () => Sandbox;
  /** What a script's `main` gets as `flow`. */
  flow: { id: string; version_id: string; run_id: string };
  signal?: AbortSignal;
}

/** The names of the lookup tables the rules' `lookup` transforms name (rules as configured, before compiling). */
export function lookupTableNames(rules: unknown): string[] {
  const names = new Set<string>();
  if (!Array.isArray(rules)) return [];
  for (const rule of rules) {
    const transforms = (rule as { transforms?: unknown } | null)?.transforms;
    if (!Array.isArray(transforms)) continue;
    for (const t of transforms) {
      const { fn, args } = (t ?? {}) as { fn?: unknown; args?: { table?: unknown } };
      if (fn === 'lookup' && typeof args?.table === 'string') names.add(args.table);
    }
  }
  return [...names];
}

function usesScripts(rules: unknown): boolean {
  return (
    Array.isArray(rules) &&
    rules.some((rule) => {
      const transforms = (rule as { transforms?: unknown } | null)?.transforms;
      return Array.isArray(transforms) && transforms.some((t) => (t as { fn?: unknown } | null)?.fn === 'script');
    })
  );
}

/**
 * Loads the lookup tables the rules name (transforms are synchronous, so they are read before
 * the rules run) and builds the runner of `script` transforms, which loads each script once.
 * The result goes into every payload's MapEnv.
 */
export async function loadMapResources(rules: unknown, sources: MapResourceSources): Promise<Pick<MapEnv, 'lookupTable' | 'runScript'>> {
  const tables = new Map<string, LookupIndex | undefined>();
  const { loadLookupTable } = sources;
  if (loadLookupTable !== undefined) {
    for (const name of lookupTableNames(rules)) {
      const rows = await loadLookupTable(name);
      tables.set(name, rows === undefined ? undefined : new LookupIndex(rows));
    }
  }
  const scripts = new Map<string, Promise<ScriptSource | undefined>>();
  const { loadScript } = sources;
  const sandbox = sources.sandbox !== undefined && usesScripts(rules) ? sources.sandbox() : undefined;
  return {
    ...(loadLookupTable !== undefined && { lookupTable: (name: string) => tables.get(name) }),
    ...(loadScript !== undefined &&
      sandbox !== undefined && {
        runScript: async (call: ScriptCall) => {
          const key = `${call.script}\u0000${call.version ?? ''}`;
          let loading = scripts.get(key);
          if (loading === undefined) {
            loading = loadScript(call.script, call.version);
            scripts.set(key, loading);
          }
          const source = await loading;
          if (source === undefined) {
            const which = call.version === undefined ? 'has no deployed version' : `has no deployed version ${call.version}`;
            throw new AppError(
              'SCRIPT_ERROR',
              `script ${JSON.stringify(call.script)} ${which}; deploy it, or correct args.script and args.version`,
            );
          }
          const output = await sandbox.run(
            source.code,
            { payload: call.value, meta: { ...call.meta }, variables: { ...call.variables }, flow: sources.flow },
            { timeoutMs: SCRIPT_TIMEOUT_MAX_SECONDS * 1000, ...(sources.signal && { signal: sources.signal }) },
          );
          return output.payload;
        },
      }),
  };
}
