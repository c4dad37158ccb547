import { AppError, type FlowDefinition } from '@weft/schema';
import type { Store } from '../../store/types.js';

interface Reference {
  path: string;
  kind: 'script' | 'lookup';
  name: string;
  version?: number;
}

/** The scripts (script steps, `script` transforms) and lookup tables (`lookup` transforms) a definition names, with their paths. */
export function companyReferences(definition: FlowDefinition): Reference[] {
  const refs: Reference[] = [];
  definition.steps.forEach((step, i) => {
    const config = (step.config ?? {}) as Record<string, unknown>;
    if (step.shape === 'script' && typeof config.script === 'string') {
      refs.push({
        path: `steps[${i}].config.script`,
        kind: 'script',
        name: config.script,
        ...(typeof config.version === 'number' && { version: config.version }),
      });
    }
    if (step.shape !== 'map' || !Array.isArray(config.rules)) return;
    config.rules.forEach((rule: unknown, j: number) => {
      const transforms = (rule as { transforms?: unknown } | null)?.transforms;
      if (!Array.isArray(transforms)) return;
      transforms.forEach((t: unknown, k: number) => {
        const { fn, args } = (t ?? {}) as { fn?: unknown; args?: Record<string, unknown> };
        const at = `steps[${i}].config.rules[${j}].transforms[${k}].args`;
        if (fn === 'lookup' && typeof args?.table === 'string') refs.push({ path: `${at}.table`, kind: 'lookup', name: args.table });
        if (fn === 'script' && typeof args?.script === 'string') {
          refs.push({
            path: `${at}.script`,
            kind: 'script',
            name: args.script,
            ...(typeof args.version === 'number' && { version: args.version }),
          });
        }
      });
    });
  });
  return refs;
}

/**
 * Refuses to deploy a definition naming a script without that deployed version, or a lookup table
 * the company does not have (spec/flows.md §1: references exist in the same company). Drafts may
 * name what does not exist yet; a deployed version runs, so it must not.
 */
export async function assertCompanyReferences(store: Store, companyId: string, definition: FlowDefinition): Promise<void> {
  const details: Record<string, string[]> = {};
  const add = (path: string, message: string) => {
    details[path] = [...(details[path] ?? []), message];
  };
  const lookups = new Map<string, boolean>();
  for (const ref of companyReferences(definition)) {
    if (ref.kind === 'script') {
      if ((await store.loadDeployedScript(companyId, ref.name, ref.version)) !== undefined) continue;
      const which = ref.version === undefined ? 'no deployed version' : `no deployed version ${ref.version}`;
      add(
        `definition.${ref.path}`,
        `the script ${JSON.stringify(ref.name)} has ${which} in this company; create and deploy it under /api/v1/scripts`,
      );
    } else {
      if (!lookups.has(ref.name)) lookups.set(ref.name, (await store.loadLookupRows(companyId, ref.name)) !== undefined);
      if (lookups.get(ref.name)) continue;
      add(
        `definition.${ref.path}`,
        `there is no lookup table ${JSON.stringify(ref.name)} in this company; create it under /api/v1/lookup-tables`,
      );
    }
  }
  const count = Object.keys(details).length;
  if (count === 0) return;
  throw new AppError('FLOW_INVALID', `The flow definition is invalid (${count} problem${count === 1 ? '' : 's'}).`, { details });
}
