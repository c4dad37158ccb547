import { readFileSync } from 'node:fs';
import { detectFormat } from '@weft/engine';
import { type PayloadFormat, TERMINAL_RUN_STATUSES } from '@weft/schema';
import { createSystem, importFlow, loadConfig, type System } from '@weft/server';

/** Commands that act on one company's flows name the company by a user's email. */
async function companyOf(system: System, email: string | undefined): Promise<string> {
  if (!email) throw new Error('name the company with --email <a user of it>');
  const user = await system.store.findUserByEmail(email);
  if (!user) throw new Error(`no user with email ${email}`);
  return user.companyId;
}

export async function flowImport(file: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const system = await createSystem(loadConfig(), { worker: false });
  try {
    const companyId = await companyOf(system, values.email as string | undefined);
    // A bare definition (steps + edges) is imported as a draft named after the file.
    const importDoc =
      'steps' in doc
        ? { flow: { name: String(doc.name ?? file.replace(/^.*\//, '').replace(/\.json$/, '')) }, definition: doc }
        : (doc as never);
    let flow = await importFlow(system.store, companyId, importDoc);
    if (values.deploy) {
      await system.store.deployVersion(companyId, flow.draftVersionId, { enable: values.enable === true });
      flow = (await system.store.getFlow(companyId, flow.id))!;
    } else if (values.enable) {
      flow = (await system.store.updateFlow(companyId, flow.id, { enabled: true }))!;
    }
    console.log(
      JSON.stringify({
        flow_id: flow.id,
        draft_version_id: flow.draftVersionId,
        deployed_version_id: flow.deployedVersionId,
        enabled: flow.enabled,
      }),
    );
    return 0;
  } finally {
    await system.close();
  }
}

export async function flowRun(flowId: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const system = await createSystem(loadConfig(), { scheduler: false });
  try {
    const companyId = await companyOf(system, values.email as string | undefined);
    const flow = await system.store.getFlow(companyId, flowId);
    if (!flow) throw new Error(`no flow ${flowId} in that company`);
    const versionId = (values.version as string | undefined) ?? flow.deployedVersionId ?? flow.draftVersionId;
    const { body, format } =
      typeof values.payload === 'string' ? readPayload(values.payload) : { body: Buffer.alloc(0), format: 'text' as const };
    const { run } = await system.store.createRun(companyId, {
      flowId,
      versionId,
      trigger: 'manual',
      priority: flow.priority,
      expedite: true,
      input: { format, meta: {}, body },
    });
    await system.worker?.reconcile();
    for (;;) {
      const current = await system.store.getRun(companyId, run.id);
      if (current && TERMINAL_RUN_STATUSES.includes(current.status)) {
        const logs = await system.store.listRunLogs(companyId, run.id);
        for (const l of logs) console.error(`[${l.level}] ${l.stepId ?? '-'}: ${l.message}`);
        console.log(JSON.stringify({ flow_run_id: current.id, status: current.status, error: current.error }));
        return current.status === 'success' ? 0 : 2;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await system.close();
  }
}

/** A standard start body ({"payload": "..."}) is unwrapped as the start endpoint does; other files are taken as they are. */
function readPayload(file: string): { body: Buffer; format: PayloadFormat } {
  const bytes = readFileSync(file);
  if (file.endsWith('.json')) {
    const doc = JSON.parse(bytes.toString('utf8')) as unknown;
    if (
      doc &&
      typeof doc === 'object' &&
      !Array.isArray(doc) &&
      Object.keys(doc).length === 1 &&
      typeof (doc as { payload?: unknown }).payload === 'string'
    ) {
      const inner = Buffer.from((doc as { payload: string }).payload, 'utf8');
      return { body: inner, format: inner.length === 0 ? 'text' : detectFormat(inner) };
    }
    return { body: bytes, format: 'json' };
  }
  return { body: bytes, format: bytes.length === 0 ? 'text' : detectFormat(bytes) };
}
