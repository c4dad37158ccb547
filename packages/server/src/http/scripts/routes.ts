import { type Static, Type } from '@sinclair/typebox';
import { processSandbox } from '@weft/engine';
import { isAppError, SCRIPT_NAME_MAX_LENGTH } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { ScriptLanguage } from '../../store/scripts-types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery, readFilters } from '../pagination.js';
import { compileForDeploy } from './compile.js';
import { scriptJson, scriptVersionJson } from './serialize.js';

/** Source code of one version; far above any script meant to run per payload. */
const CODE_MAX_CHARS = 1024 * 1024;
/** A test run is for trying a script on a sample, so it gets less time than a step. */
const TEST_TIMEOUT_MS = 30_000;

const ScriptId = Type.Object({ scriptId: Type.String({ minLength: 1, maxLength: 64 }) });
const VersionParams = Type.Object({ scriptId: Type.String({ minLength: 1, maxLength: 64 }), number: Type.Integer({ minimum: 1 }) });
const Name = Type.String({
  minLength: 1,
  maxLength: SCRIPT_NAME_MAX_LENGTH,
  pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]*$',
  description: 'Unique in the company; `script` steps and transforms name it. Letters, digits, space, "_", "." and "-".',
});
const Language = Type.Union([Type.Literal('javascript'), Type.Literal('typescript')]);
const Code = Type.String({ maxLength: CODE_MAX_CHARS, description: 'The code of the draft: a plain script defining main.' });
const Strings = Type.Record(Type.String(), Type.String());

const CreateBody = Type.Object(
  {
    name: Name,
    language: Type.Optional(Language),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    code: Type.Optional(Code),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    language: Type.Optional(Language),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    code: Type.Optional(Code),
  },
  { additionalProperties: false },
);
const TestBody = Type.Object(
  {
    payload: Type.Optional(Type.Unknown({ description: 'What main receives as payload (any JSON value); null when absent.' })),
    meta: Type.Optional(Strings),
    variables: Type.Optional(Strings),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'A deployed version to run; the draft when absent.' })),
  },
  { additionalProperties: false },
);

const DEFAULT_CODE = `function main({ payload, meta, variables, flow }) {
  return { payload };
}
`;

/** Company scripts (/api/v1/scripts): edit the draft, deploy it, try it on a sample. */
export async function scriptRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  async function draftCode(companyId: string, scriptId: string, number: number): Promise<string> {
    return (await store.getScriptVersion(companyId, scriptId, number))?.source ?? '';
  }

  app.get(
    '/api/v1/scripts',
    {
      config: { access: 'read' },
      schema: {
        tags: ['scripts'],
        summary: 'List scripts (filter[name]: part of the name)',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const query = request.query as { page?: number; per_page?: number } & Record<string, unknown>;
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const name = readFilters(query).name?.[0];
      const result = await store.listScripts(request.auth.companyId, name === undefined ? {} : { name }, { page, perPage });
      return listEnvelope(
        request,
        result.rows.map((s) => scriptJson(s)),
        result.total,
        page,
        perPage,
      );
    },
  );

  app.post(
    '/api/v1/scripts',
    { config: { access: 'write' }, schema: { tags: ['scripts'], summary: 'Create a script and its draft', body: CreateBody } },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateBody>;
      const code = body.code ?? DEFAULT_CODE;
      const script = await store.createScript(request.auth.companyId, {
        name: body.name,
        language: body.language ?? 'javascript',
        description: body.description ?? '',
        source: code,
      });
      return reply.status(201).send({ data: scriptJson(script, code) });
    },
  );

  app.get(
    '/api/v1/scripts/:scriptId',
    { config: { access: 'read' }, schema: { tags: ['scripts'], summary: 'Get a script with the code of its draft', params: ScriptId } },
    async (request) => {
      const { scriptId } = request.params as { scriptId: string };
      const script = await store.getScript(request.auth.companyId, scriptId);
      if (!script) throw notFound('Script');
      return { data: scriptJson(script, await draftCode(request.auth.companyId, scriptId, script.draftNumber)) };
    },
  );

  app.patch(
    '/api/v1/scripts/:scriptId',
    {
      config: { access: 'write' },
      schema: {
        tags: ['scripts'],
        summary: 'Change a script; `code` edits its draft (deploy to run it)',
        params: ScriptId,
        body: PatchBody,
      },
    },
    async (request) => {
      const { scriptId } = request.params as { scriptId: string };
      const body = request.body as Static<typeof PatchBody>;
      const script = await store.updateScript(request.auth.companyId, scriptId, {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.language !== undefined && { language: body.language as ScriptLanguage }),
        ...(body.description !== undefined && { description: body.description }),
        ...(body.code !== undefined && { source: body.code }),
      });
      if (!script) throw notFound('Script');
      return { data: scriptJson(script, await draftCode(request.auth.companyId, scriptId, script.draftNumber)) };
    },
  );

  app.delete(
    '/api/v1/scripts/:scriptId',
    { config: { access: 'write' }, schema: { tags: ['scripts'], summary: 'Delete a script and all its versions', params: ScriptId } },
    async (request, reply) => {
      const { scriptId } = request.params as { scriptId: string };
      const script = await store.getScript(request.auth.companyId, scriptId);
      if (!script || !(await store.deleteScript(request.auth.companyId, scriptId))) throw notFound('Script');
      await recordAudit(store, request, {
        action: 'script.deleted',
        targetType: 'script',
        targetId: scriptId,
        data: { name: script.name },
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/scripts/:scriptId/versions',
    { config: { access: 'read' }, schema: { tags: ['scripts'], summary: "A script's versions, newest first", params: ScriptId } },
    async (request) => {
      const { scriptId } = request.params as { scriptId: string };
      const versions = await store.listScriptVersions(request.auth.companyId, scriptId);
      if (!versions) throw notFound('Script');
      return { data: versions.map((v) => scriptVersionJson(v, false)) };
    },
  );

  app.get(
    '/api/v1/scripts/:scriptId/versions/:number',
    { config: { access: 'read' }, schema: { tags: ['scripts'], summary: 'One version with its code', params: VersionParams } },
    async (request) => {
      const { scriptId, number } = request.params as { scriptId: string; number: number };
      const version = await store.getScriptVersion(request.auth.companyId, scriptId, number);
      if (!version) throw notFound('Script version');
      return { data: scriptVersionJson(version, true) };
    },
  );

  app.post(
    '/api/v1/scripts/:scriptId/deploy',
    {
      config: { access: 'write' },
      schema: {
        tags: ['scripts'],
        summary: 'Deploy the draft',
        description:
          'Transpiles TypeScript, compiles the code and checks it defines main (422 with the line and column of each problem); the draft becomes the deployed version and a copy of it the next draft.',
        params: ScriptId,
      },
    },
    async (request) => {
      const { scriptId } = request.params as { scriptId: string };
      const { companyId } = request.auth;
      const script = await store.getScript(companyId, scriptId);
      if (!script) throw notFound('Script');
      const source = await draftCode(companyId, scriptId, script.draftNumber);
      let compiled: string;
      try {
        compiled = compileForDeploy(source, script.language);
      } catch (err) {
        if (isAppError(err)) {
          await recordAudit(store, request, {
            action: 'script.deployed',
            targetType: 'script',
            targetId: scriptId,
            outcome: 'failure',
            data: { name: script.name, number: script.draftNumber, problems: err.details?.code?.length ?? 1 },
          });
        }
        throw err;
      }
      const version = await store.deployScript(companyId, scriptId, { source, compiled });
      if (!version) throw notFound('Script');
      await recordAudit(store, request, {
        action: 'script.deployed',
        targetType: 'script',
        targetId: scriptId,
        data: { name: script.name, number: version.number, language: script.language },
      });
      return { data: scriptVersionJson(version, false) };
    },
  );

  app.post(
    '/api/v1/scripts/:scriptId/test',
    {
      config: { access: 'write' },
      schema: {
        tags: ['scripts'],
        summary: 'Run the draft (or a deployed version) on a sample',
        description:
          'Runs in the sandbox with a 30 s limit. A script that fails answers 200 with ok false, the error and the lines it logged; code that cannot compile answers 422 as deploy does.',
        params: ScriptId,
        body: TestBody,
      },
    },
    async (request) => {
      const { scriptId } = request.params as { scriptId: string };
      const { companyId } = request.auth;
      const body = request.body as Static<typeof TestBody>;
      const script = await store.getScript(companyId, scriptId);
      if (!script) throw notFound('Script');
      let code: string;
      if (body.version === undefined) {
        code = compileForDeploy(await draftCode(companyId, scriptId, script.draftNumber), script.language);
      } else {
        const version = await store.getScriptVersion(companyId, scriptId, body.version);
        if (version?.compiled == null) throw notFound(`Deployed version ${body.version} of the script`);
        code = version.compiled;
      }
      const started = performance.now();
      const input = {
        payload: body.payload ?? null,
        meta: body.meta ?? {},
        variables: body.variables ?? {},
        flow: { id: 'test', version_id: 'test', run_id: 'test' },
      };
      try {
        const output = await processSandbox().run(code, input, { timeoutMs: TEST_TIMEOUT_MS });
        const { logs, ...result } = output;
        return { data: { ok: true, output: result, logs, duration_ms: Math.round(performance.now() - started) } };
      } catch (err) {
        if (!isAppError(err)) throw err;
        const logs = (err as { logs?: unknown }).logs;
        return {
          data: {
            ok: false,
            error: { code: err.code, message: err.message },
            logs: Array.isArray(logs) ? logs : [],
            duration_ms: Math.round(performance.now() - started),
          },
        };
      }
    },
  );
}
