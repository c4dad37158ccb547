import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from './conditions.js';

/** The methods an inline connector request may use. */
export const CONNECTOR_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type ConnectorMethod = (typeof CONNECTOR_METHODS)[number];

// RFC 9110 token: what a header name may consist of; anything else undici refuses at send time,
// which is far later than a user wants to hear about it.
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
// CR and LF would split the header (request smuggling); templates are checked again after rendering.
const HEADER_VALUE_PATTERN = '^[^\\r\\n\\u0000]*$';

export const ConnectorRequestSchema = Type.Object(
  {
    method: Type.Union(CONNECTOR_METHODS.map((m) => Type.Literal(m))),
    url: Type.String({ minLength: 1, description: 'Absolute http(s) URL; may contain [[...]] templates.' }),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: HEADER_NAME_PATTERN }), Type.String({ pattern: HEADER_VALUE_PATTERN }), {
        additionalProperties: false,
        description: 'Header values may contain templates. Content-Type defaults from the payload format.',
      }),
    ),
    query: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'Appended to the URL; values may contain templates.' }),
    ),
    body: Type.Optional(Type.String({ description: 'Request body template; when absent the payload itself is sent.' })),
  },
  { additionalProperties: false },
);

const ENDPOINT_VARIABLE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';

/**
 * Config of the `connector` shape (spec/flows.md §3): an inline `request`, or an `instance` and
 * one of its connector's `endpoint`s. Exactly one of the two is checked by
 * connectorConfigProblems rather than by a union here, so a mistake is answered with one message
 * at one path instead of every branch's errors.
 */
export const ConnectorConfigSchema = Type.Object(
  {
    request: Type.Optional(ConnectorRequestSchema),
    instance: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The id of the instance to call.' })),
    endpoint: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "The name of one of the instance's connector's endpoints." }),
    ),
    variables: Type.Optional(
      Type.Record(Type.String({ pattern: ENDPOINT_VARIABLE_PATTERN }), Type.String({ maxLength: 10_000 }), {
        additionalProperties: false,
        description: 'Endpoint variables: templates filling the `{{name}}` places and the parameters of the same name.',
      }),
    ),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'Time limit of one attempt.' })),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2, default: 0, description: 'Further attempts after a retryable failure.' }),
    ),
    allow_unsuccessful_statuses: Type.Optional(
      Type.Union([Type.Boolean(), Type.Array(Type.Integer({ minimum: 100, maximum: 599 }))], {
        description: '`true` treats every status as success; a list treats those statuses as success.',
      }),
    ),
    wrapping: Type.Optional(
      Type.Union([Type.Literal('raw'), Type.Literal('first')], {
        default: 'raw',
        description: '`raw` emits the response body as is; `first` emits the first element of a JSON array response.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type ConnectorConfig = Static<typeof ConnectorConfigSchema>;
export type ConnectorRequest = Static<typeof ConnectorRequestSchema>;

/** What the schema cannot say: a request or an instance with an endpoint, exactly one of them. Paths are relative to the config. */
export function connectorConfigProblems(
  config: Partial<Record<'request' | 'instance' | 'endpoint' | 'variables', unknown>>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hasRequest = config.request !== undefined;
  const hasInstance = config.instance !== undefined;
  const hasEndpoint = config.endpoint !== undefined;
  if (hasRequest && (hasInstance || hasEndpoint)) {
    problems.push({
      path: hasInstance ? 'instance' : 'endpoint',
      message: 'cannot be combined with request; use either an inline request or an instance endpoint',
    });
    return problems;
  }
  if (!hasRequest && !hasInstance && !hasEndpoint) {
    problems.push({ path: 'request', message: 'is required unless instance and endpoint are set' });
    return problems;
  }
  if (hasInstance && !hasEndpoint) problems.push({ path: 'endpoint', message: 'is required with instance' });
  if (hasEndpoint && !hasInstance) problems.push({ path: 'instance', message: 'is required with endpoint' });
  if (hasRequest && config.variables !== undefined)
    problems.push({ path: 'variables', message: 'only applies to an instance endpoint; write the values into the request instead' });
  return problems;
}

const TEMPLATE_START = '[[';
const MAX_QUOTED_URL_CHARS = 200;

/**
 * For the flow validator: a problem with a connector URL that can be known before the run, or
 * undefined. A URL whose host or scheme comes from a template can only be judged once rendered
 * (the engine does that), but a literal scheme in front of the first template is judged now.
 */
export function checkConnectorUrl(url: string): string | undefined {
  const templateAt = url.indexOf(TEMPLATE_START);
  if (templateAt >= 0) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.slice(0, templateAt))?.[1];
    return scheme === undefined || /^https?$/i.test(scheme) ? undefined : problem(url);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return problem(url);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') return problem(url);
  return undefined;
}

function problem(url: string): string {
  const shown = url.length > MAX_QUOTED_URL_CHARS ? `${url.slice(0, MAX_QUOTED_URL_CHARS)}…` : url;
  return `must be an absolute http(s) URL, got ${JSON.stringify(shown)}`;
}
