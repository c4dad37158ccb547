import { type Static, Type } from '@sinclair/typebox';
import { detectFormat, Payload, previewMap, processSandbox } from '@weft/engine';
import { isAppError, PAYLOAD_FORMATS, type PayloadFormat } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';

const MAX_PREVIEW_RULES = 1000;

const Format = Type.Union(
  PAYLOAD_FORMATS.map((f) => Type.Literal(f)),
  { description: 'How a string payload is read; detected as on the start endpoint when absent.' },
);

const PreviewBody = Type.Object(
  {
    // Rules stay open here: previewMap reports each bad rule by index instead of refusing the body,
    // so the editor can show every problem beside its row.
    rules: Type.Array(Type.Unknown(), { maxItems: MAX_PREVIEW_RULES, description: 'Map rules as in the map config.' }),
    payload: Type.Unknown({ description: 'A sample: a string (JSON, XML, CSV or text) as on the start endpoint, or any JSON value.' }),
    format: Type.Optional(Format),
    output_format: Type.Optional(Format),
    wrap_input: Type.Optional(Type.String({ minLength: 1 })),
    wrap_output: Type.Optional(Type.String({ minLength: 1 })),
    variables: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Flow variables for [[flow.name]].' })),
  },
  { additionalProperties: false },
);
type PreviewBody = Static<typeof PreviewBody>;

const PreviewResponse = Type.Object({
  data: Type.Object({
    output: Type.Unknown({ description: 'The mapped document: JSON, or the written text for xml, csv and text.' }),
    errors: Type.Array(Type.Object({ rule: Type.Union([Type.Integer(), Type.Null()]), message: Type.String() }), {
      description: 'One entry per problem; rule is the rule index, or null for the sample and the settings.',
    }),
  }),
});

/** The sample as the map sees it; a sample that does not parse is a preview error, not a failed request. */
function readSample(payload: unknown, format: PayloadFormat | undefined): { value: unknown } | { error: string } {
  if (typeof payload !== 'string') return { value: payload };
  const bytes = Buffer.from(payload, 'utf8');
  try {
    const detected = format ?? detectFormat(bytes);
    return { value: Payload.fromBytes(bytes, detected).value() };
  } catch (err) {
    if (isAppError(err)) return { error: `payload: ${err.message}` };
    throw err;
  }
}

/** The map editor's live preview (spec/flows.md §4): maps a sample with rules that need not be saved. */
export async function mapRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  app.post(
    '/api/v1/map/preview',
    {
      config: { access: 'read' },
      schema: {
        tags: ['map'],
        summary: 'Preview a map on a sample payload',
        description: 'Never fails for bad rules or a bad sample: each problem is listed in `errors` and the other rules still apply.',
        body: PreviewBody,
        response: { 200: PreviewResponse },
      },
    },
    async (request) => {
      const body = request.body as PreviewBody;
      const sample = readSample(body.payload, body.format);
      if ('error' in sample) return { data: { output: null, errors: [{ rule: null, message: sample.error }] } };
      const result = await previewMap(body.rules, sample.value, {
        output_format: body.output_format,
        wrap_input: body.wrap_input,
        wrap_output: body.wrap_output,
        variables: body.variables,
        // The caller's company's lookup tables and deployed scripts, as in a run.
        resources: {
          loadLookupTable: (name) => store.loadLookupRows(request.auth.companyId, name),
          loadScript: (name, version) => store.loadDeployedScript(request.auth.companyId, name, version),
          sandbox: processSandbox,
        },
      });
      return { data: { output: result.output ?? null, errors: result.errors } };
    },
  );
}
