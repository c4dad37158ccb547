import { AppError, type FieldErrors } from '@weft/schema';
import type { Connector, FlowVersion, Store } from '../../store/types.js';
import { assertConnector, type ConnectorBodyJson } from '../connectors/schema.js';

/**
 * The connectors a flow's steps use travel with its export, so the flow can move to another
 * installation: each connector whole (endpoints, auth method settings), never an instance's
 * credentials or variables. Instances are named only, so the import can say which to create.
 */

export interface ExportedConnector extends ConnectorBodyJson {
  /** The connector's id where it was exported; instances and the import report refer to it. */
  ref: string;
}

export interface ExportedInstance {
  ref: string;
  name: string;
  connector_ref: string;
  auth_method: string | null;
}

export interface ConnectorImportReport {
  connectors: Array<{ ref: string; id: string; name: string; created: boolean; missing_endpoints?: string[] }>;
  /** Instances the steps use that this company does not have yet (by name, on the matched connector). */
  instances_needed: Array<{ ref: string; name: string; connector_id: string; connector_name: string; steps: string[] }>;
  instances_matched: Array<{ ref: string; id: string; name: string }>;
}

type Definition = { steps: Array<{ id: string; shape: string; config: Record<string, unknown> }> };

/** Step ids per instance id the definitions' connector steps name. */
function instanceUses(definitions: unknown[]): Map<string, { steps: Set<string>; endpoints: Set<string> }> {
  const uses = new Map<string, { steps: Set<string>; endpoints: Set<string> }>();
  for (const definition of definitions) {
    for (const step of (definition as Definition).steps ?? []) {
      const instance = step.config?.instance;
      if (step.shape !== 'connector' || typeof instance !== 'string') continue;
      const use = uses.get(instance) ?? { steps: new Set(), endpoints: new Set() };
      use.steps.add(step.id);
      if (typeof step.config.endpoint === 'string') use.endpoints.add(step.config.endpoint);
      uses.set(instance, use);
    }
  }
  return uses;
}

export async function exportConnectors(
  store: Store,
  companyId: string,
  versions: FlowVersion[],
): Promise<{ connectors: ExportedConnector[]; instances: ExportedInstance[] }> {
  const connectors = new Map<string, Connector>();
  const instances: ExportedInstance[] = [];
  for (const instanceId of instanceUses(versions.map((v) => v.definition)).keys()) {
    const instance = await store.getInstance(companyId, instanceId);
    if (instance === undefined) continue; // deleted since: the import reports the step's reference as it finds it
    const connector = connectors.get(instance.connectorId) ?? (await store.getConnector(companyId, instance.connectorId));
    if (connector === undefined) continue;
    connectors.set(connector.id, connector);
    instances.push({ ref: instance.id, name: instance.name, connector_ref: connector.id, auth_method: instance.authMethod });
  }
  return {
    connectors: [...connectors.values()].map((c) => ({
      ref: c.id,
      name: c.name,
      protocol: c.protocol,
      base_url: c.baseUrl,
      variables: c.variables,
      auth_methods: c.authMethods,
      endpoints: c.endpoints,
    })),
    instances,
  };
}

async function allConnectors(store: Store, companyId: string): Promise<Connector[]> {
  const out: Connector[] = [];
  for (let page = 1; ; page++) {
    const { rows, total } = await store.listConnectors(companyId, { page, perPage: 100 });
    out.push(...rows);
    if (rows.length === 0 || out.length >= total) return out;
  }
}

async function instanceNamed(store: Store, companyId: string, connectorId: string, name: string) {
  for (let page = 1; ; page++) {
    const { rows, total } = await store.listInstances(companyId, { connectorId }, { page, perPage: 100 });
    const found = rows.find((i) => i.name === name);
    if (found !== undefined) return found;
    if (rows.length === 0 || page * 100 >= total) return undefined;
  }
}

/** Checks the bundle without changing anything, so a bad document creates neither connectors nor a flow. */
export function checkConnectorBundle(connectors: unknown, instances: unknown): void {
  const errors: FieldErrors = {};
  const list = Array.isArray(connectors) ? connectors : [];
  const refs = new Set<string>();
  list.forEach((c, i) => {
    const item = c as Partial<ExportedConnector>;
    if (typeof item.ref !== 'string') errors[`connectors[${i}].ref`] = ['must be a string'];
    else refs.add(item.ref);
    try {
      const { ref: _ref, ...body } = item;
      assertConnector(body as ConnectorBodyJson);
    } catch (err) {
      if (!(err instanceof AppError) || err.details === undefined) throw err;
      for (const [path, messages] of Object.entries(err.details as FieldErrors)) errors[`connectors[${i}].${path}`] = messages;
    }
  });
  (Array.isArray(instances) ? instances : []).forEach((inst, i) => {
    const item = inst as Partial<ExportedInstance>;
    if (typeof item.ref !== 'string' || typeof item.name !== 'string') errors[`instances[${i}]`] = ['needs ref and name'];
    else if (typeof item.connector_ref !== 'string' || !refs.has(item.connector_ref)) {
      errors[`instances[${i}].connector_ref`] = ['must name the ref of one of the connectors'];
    }
  });
  if (Object.keys(errors).length > 0) throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: errors });
}

/**
 * Matches each exported connector with the company's connector of the same name and protocol, or
 * creates it; matches instances by name on that connector; rewrites the definitions' instance
 * references to the matched instances. Call checkConnectorBundle first.
 */
export async function importConnectors(
  store: Store,
  companyId: string,
  connectors: ExportedConnector[],
  instances: ExportedInstance[],
  definitions: unknown[],
): Promise<{ definitions: unknown[]; report: ConnectorImportReport; created: Connector[] }> {
  const report: ConnectorImportReport = { connectors: [], instances_needed: [], instances_matched: [] };
  const created: Connector[] = [];
  const existing = await allConnectors(store, companyId);
  const uses = instanceUses(definitions);
  const byRef = new Map<string, Connector>();
  for (const exported of connectors) {
    const { ref, ...body } = exported;
    let connector = existing.find((c) => c.name === exported.name && c.protocol === exported.protocol);
    const wasCreated = connector === undefined;
    if (connector === undefined) {
      connector = await store.createConnector(companyId, assertConnector(body));
      existing.push(connector);
      created.push(connector);
    }
    byRef.set(ref, connector);
    const have = new Set(connector.endpoints.map((e) => String(e.name)));
    const wanted = instances.filter((i) => i.connector_ref === ref).flatMap((i) => [...(uses.get(i.ref)?.endpoints ?? [])]);
    const missing = [...new Set(wanted)].filter((name) => !have.has(name));
    report.connectors.push({
      ref,
      id: connector.id,
      name: connector.name,
      created: wasCreated,
      ...(missing.length > 0 ? { missing_endpoints: missing } : {}),
    });
  }
  const rewrite = new Map<string, string>();
  for (const exported of instances) {
    const connector = byRef.get(exported.connector_ref);
    if (connector === undefined) continue;
    const match = await instanceNamed(store, companyId, connector.id, exported.name);
    if (match !== undefined) {
      rewrite.set(exported.ref, match.id);
      report.instances_matched.push({ ref: exported.ref, id: match.id, name: match.name });
    } else {
      report.instances_needed.push({
        ref: exported.ref,
        name: exported.name,
        connector_id: connector.id,
        connector_name: connector.name,
        steps: [...(uses.get(exported.ref)?.steps ?? [])],
      });
    }
  }
  const rewritten = definitions.map((definition) => {
    const copy = structuredClone(definition) as Definition;
    for (const step of copy.steps ?? []) {
      const instance = step.config?.instance;
      if (step.shape === 'connector' && typeof instance === 'string' && rewrite.has(instance)) step.config.instance = rewrite.get(instance);
    }
    return copy;
  });
  return { definitions: rewritten, report, created };
}
