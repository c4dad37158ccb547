import { type TObject, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError, type FieldErrors } from '@weft/schema';
import type { ConnectorInput, ConnectorProtocol } from '../../store/types.js';
import { checkDatabaseAuthMethods, checkDatabaseEndpoint } from './database-schema.js';

/**
 * The connector document the API accepts. Auth methods and endpoints are checked here rather than
 * by the route schema: a union in the route schema would answer a wrong field with every branch's
 * errors, where this answers with the one branch the `type` names.
 */

const Name = Type.String({ minLength: 1, maxLength: 200 });
const ParamName = Type.String({ minLength: 1, maxLength: 200 });
const Template = Type.String({ maxLength: 10_000 });
const AbsoluteUrl = Type.String({ minLength: 1, maxLength: 2000 });

export const PROTOCOLS = ['http', 'postgres', 'mysql'] as const;
export const AUTH_TYPES = [
  'none',
  'basic',
  'bearer',
  'api_key',
  'oauth2_client_credentials',
  'oauth2_authorization_code',
  'custom_headers',
] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

const Variables = Type.Record(
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }),
  Type.Object(
    { default: Type.Optional(Type.String({ maxLength: 2000 })), description: Type.Optional(Type.String({ maxLength: 2000 })) },
    { additionalProperties: false },
  ),
  { additionalProperties: false, maxProperties: 100 },
);

/** The route schema: the shape of each list item is checked by assertConnector. */
const connectorFields = {
  name: Name,
  protocol: Type.Union(PROTOCOLS.map((p) => Type.Literal(p))),
  base_url: AbsoluteUrl,
  variables: Type.Optional(Variables),
  auth_methods: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 20 })),
  endpoints: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 500 })),
};
export const ConnectorBody = Type.Object(connectorFields, { additionalProperties: false });
export const ConnectorPatchBody = Type.Partial(Type.Object(connectorFields), { additionalProperties: false });

// Each auth method's settings, never its secrets (those are the instance's credentials).
const authCommon = { name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) };
const AUTH_SETTINGS: Record<AuthType, TObject> = {
  none: Type.Object({ type: Type.Literal('none'), ...authCommon }, { additionalProperties: false }),
  basic: Type.Object({ type: Type.Literal('basic'), ...authCommon }, { additionalProperties: false }),
  bearer: Type.Object(
    {
      type: Type.Literal('bearer'),
      ...authCommon,
      header: Type.Optional(ParamName),
      prefix: Type.Optional(Type.String({ maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
  api_key: Type.Object(
    {
      type: Type.Literal('api_key'),
      ...authCommon,
      in: Type.Union([Type.Literal('header'), Type.Literal('query')]),
      param_name: ParamName,
    },
    { additionalProperties: false },
  ),
  oauth2_client_credentials: Type.Object(
    {
      type: Type.Literal('oauth2_client_credentials'),
      ...authCommon,
      token_url: AbsoluteUrl,
      scope: Type.Optional(Type.String({ maxLength: 2000 })),
      audience: Type.Optional(Type.String({ maxLength: 2000 })),
      client_auth: Type.Optional(Type.Union([Type.Literal('body'), Type.Literal('basic')])),
    },
    { additionalProperties: false },
  ),
  oauth2_authorization_code: Type.Object(
    {
      type: Type.Literal('oauth2_authorization_code'),
      ...authCommon,
      authorize_url: AbsoluteUrl,
      token_url: AbsoluteUrl,
      scope: Type.Optional(Type.String({ maxLength: 2000 })),
      client_auth: Type.Optional(Type.Union([Type.Literal('body'), Type.Literal('basic')])),
    },
    { additionalProperties: false },
  ),
  custom_headers: Type.Object(
    { type: Type.Literal('custom_headers'), ...authCommon, headers: Type.Array(ParamName, { minItems: 1, maxItems: 50 }) },
    { additionalProperties: false },
  ),
};

/** The credential fields each auth method needs; custom headers need one per header. */
export function credentialFieldsFor(method: Record<string, unknown>): string[] {
  switch (method.type as AuthType) {
    case 'basic':
      return ['username', 'password'];
    case 'bearer':
      return ['token'];
    case 'api_key':
      return ['key'];
    case 'oauth2_client_credentials':
    case 'oauth2_authorization_code':
      return ['client_id', 'client_secret'];
    case 'custom_headers':
      return (method.headers as string[] | undefined) ?? [];
    default:
      return [];
  }
}

/** Credential fields Weft writes itself (the authorisation code grant's tokens), never given through the API. */
export const MANAGED_CREDENTIAL_FIELDS: Readonly<Partial<Record<AuthType, readonly string[]>>> = {
  oauth2_authorization_code: ['access_token', 'refresh_token', 'expires_at'],
};

/** How instances name an auth method: its name, or its type when unnamed. */
export function authMethodKey(method: Record<string, unknown>): string {
  return typeof method.name === 'string' ? method.name : String(method.type);
}

const Param = Type.Object(
  { value: Type.Optional(Template), required: Type.Optional(Type.Boolean()), description: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const Params = Type.Record(ParamName, Param, { maxProperties: 100 });

const Pagination = Type.Object(
  {
    type: Type.Union(['link_header', 'next_url', 'next_token', 'page_number', 'limit_offset', 'cursor'].map((t) => Type.Literal(t))),
    /** A safety net: at most this many pages per run. */
    max_pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    /** Where the next URL, token or cursor is in the response body. */
    next_path: Type.Optional(Type.String({ maxLength: 500 })),
    /** The query parameter that carries the page, offset, token or cursor. */
    param: Type.Optional(ParamName),
    size_param: Type.Optional(ParamName),
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    start: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/**
 * At most `requests` per `per_seconds` for each instance, across all runs and processes (a bucket
 * in the store). Endpoints naming the same `bucket` share one limit (the provider's account limit).
 */
export const RateLimit = Type.Object(
  {
    requests: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    per_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    bucket: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const Endpoint = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    method: Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].map((m) => Type.Literal(m))),
    path: Type.String({ maxLength: 2000 }),
    query: Type.Optional(Params),
    headers: Type.Optional(Params),
    body: Type.Optional(Template),
    data_type: Type.Union(['json', 'xml', 'csv', 'txt'].map((t) => Type.Literal(t))),
    direction: Type.Union([Type.Literal('receive'), Type.Literal('send')]),
    pagination: Type.Optional(Pagination),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** JSON Schema of the response (e.g. from an OpenAPI import), for the map editor's field pickers. */
    schema: Type.Optional(Type.Object({}, { additionalProperties: true })),
    request_schema: Type.Optional(Type.Object({}, { additionalProperties: true })),
    rate_limit: Type.Optional(RateLimit),
  },
  { additionalProperties: false },
);

/** TypeBox's error list as api.md §6's field path → messages. */
export function collect(out: FieldErrors, prefix: string, schema: TObject, value: unknown): void {
  for (const e of Value.Errors(schema, value)) {
    const path = e.path
      .split('/')
      .filter(Boolean)
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
      .join('');
    const key = `${prefix}${path}`;
    const message = e.message === 'Unexpected property' ? 'unknown field' : e.message;
    const list = out[key] ?? [];
    if (!list.includes(message)) list.push(message);
    out[key] = list;
  }
}

export function addFieldError(out: FieldErrors, key: string, message: string): void {
  const list = out[key] ?? [];
  list.push(message);
  out[key] = list;
}

const BASE_URL_SCHEMES: Record<ConnectorProtocol, string[]> = {
  http: ['http:', 'https:'],
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:', 'mariadb:'],
};

/** Templates ({{name}}) may stand anywhere in the URL; they are checked as if filled in. */
export function checkBaseUrl(protocol: ConnectorProtocol, baseUrl: string): string | undefined {
  const schemes = BASE_URL_SCHEMES[protocol];
  try {
    const url = new URL(baseUrl.replace(/\{\{[^}]*\}\}/g, 'x'));
    if (!schemes.includes(url.protocol)) return `must be an absolute ${schemes.map((s) => s.slice(0, -1)).join(' or ')} URL`;
  } catch {
    return `must be an absolute ${schemes.map((s) => s.slice(0, -1)).join(' or ')} URL`;
  }
  return undefined;
}

export interface ConnectorBodyJson {
  name: string;
  protocol: ConnectorProtocol;
  base_url: string;
  variables?: ConnectorInput['variables'];
  auth_methods?: Array<Record<string, unknown>>;
  endpoints?: Array<Record<string, unknown>>;
}

/** Checks a whole connector document (a create, or a patch merged onto the stored one) and refuses it with every problem. */
export function assertConnector(body: ConnectorBodyJson): ConnectorInput {
  const errors: FieldErrors = {};
  const baseUrlProblem = checkBaseUrl(body.protocol, body.base_url);
  if (baseUrlProblem) addFieldError(errors, 'base_url', baseUrlProblem);

  const authMethods = body.auth_methods ?? [];
  if (body.protocol !== 'http') checkDatabaseAuthMethods(errors, authMethods);
  const keys = new Set<string>();
  authMethods.forEach((method, i) => {
    const type = method.type;
    if (typeof type !== 'string' || !(AUTH_TYPES as readonly string[]).includes(type)) {
      addFieldError(errors, `auth_methods[${i}].type`, `must be one of ${AUTH_TYPES.join(', ')}`);
      return;
    }
    collect(errors, `auth_methods[${i}]`, AUTH_SETTINGS[type as AuthType], method);
    for (const field of ['token_url', 'authorize_url']) {
      const url = method[field];
      if (!type.startsWith('oauth2_') || typeof url !== 'string') continue;
      const problem = checkBaseUrl('http', url);
      if (problem) addFieldError(errors, `auth_methods[${i}].${field}`, problem);
    }
    const key = authMethodKey(method);
    if (keys.has(key)) addFieldError(errors, `auth_methods[${i}].name`, `another auth method is already called "${key}"; give each a name`);
    keys.add(key);
  });

  const endpoints = body.endpoints ?? [];
  const names = new Set<string>();
  endpoints.forEach((endpoint, i) => {
    if (body.protocol === 'http') collect(errors, `endpoints[${i}]`, Endpoint, endpoint);
    else checkDatabaseEndpoint(errors, `endpoints[${i}]`, body.protocol, endpoint);
    if (typeof endpoint.name === 'string') {
      if (names.has(endpoint.name)) addFieldError(errors, `endpoints[${i}].name`, `another endpoint is already called "${endpoint.name}"`);
      names.add(endpoint.name);
    }
  });

  if (Object.keys(errors).length > 0) throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details: errors });
  return {
    name: body.name,
    protocol: body.protocol,
    baseUrl: body.base_url,
    variables: body.variables ?? {},
    authMethods,
    endpoints,
  };
}
