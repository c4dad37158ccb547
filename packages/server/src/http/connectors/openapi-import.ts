import SwaggerParser from '@apidevtools/swagger-parser';
import { AppError, type FieldErrors } from '@weft/schema';
import type { OpenAPIV3, OpenAPIV3_1 } from 'openapi-types';
import { parse as parseYaml } from 'yaml';
import type { ConnectorBodyJson } from './schema.js';

/**
 * OpenAPI 3.0 / 3.1 → a connector document (name, base URL, variables, auth methods, endpoints),
 * which the caller then checks with assertConnector like any other. swagger-parser validates the
 * document and resolves its internal $refs; external ones are refused before it runs, because
 * resolving them would make the server fetch files or URLs the document names.
 */

type Document = OpenAPIV3.Document | OpenAPIV3_1.Document;
type Operation = OpenAPIV3.OperationObject | OpenAPIV3_1.OperationObject;
type Parameter = OpenAPIV3.ParameterObject | OpenAPIV3_1.ParameterObject;
type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'] as const;
const MAX_NAME = 200;
const MAX_ENDPOINTS = 500;
const MAX_SCHEMA_NODES = 20_000;

export interface OpenApiImportOptions {
  /** Overrides the document's title. */
  name?: string;
  /** Overrides the document's first server (needed when it is relative or missing). */
  baseUrl?: string;
}

export interface OpenApiImportResult {
  connector: ConnectorBodyJson;
  /** What was left out and why (cookie parameters, unsupported methods, …). */
  warnings: string[];
}

function invalid(details: FieldErrors): AppError {
  return new AppError('VALIDATION_FAILED', 'The OpenAPI document cannot be imported.', { details });
}

/** The document as an object: given as one, or as JSON or YAML text. */
export function readDocument(input: unknown): Json {
  if (typeof input === 'string') {
    let parsed: unknown;
    try {
      // YAML 1.2 is a superset of JSON, so one parser reads both; aliases are capped (billion laughs).
      parsed = parseYaml(input, { maxAliasCount: 100, prettyErrors: false });
    } catch (err) {
      throw invalid({ document: [`is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`] });
    }
    input = parsed;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid({ document: ['must be an OpenAPI document (an object)'] });
  return input as Json;
}

/** JSON-pointer-ish paths of every $ref that leaves the document. */
function externalRefs(root: unknown): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[root, 'document']];
  while (stack.length > 0 && found.length < 10) {
    const [node, path] = stack.pop() as [unknown, string];
    if (node === null || typeof node !== 'object') continue;
    for (const [key, value] of Object.entries(node)) {
      const childPath = Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`;
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) found.push(childPath);
      else stack.push([value, childPath]);
    }
  }
  return found;
}

export async function importOpenApi(input: unknown, options: OpenApiImportOptions = {}): Promise<OpenApiImportResult> {
  const raw = readDocument(input);
  const version = raw.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    const hint = typeof raw.swagger === 'string' ? '; this is Swagger 2.0: convert it to OpenAPI 3 first' : '';
    throw invalid({ 'document.openapi': [`must be an OpenAPI version 3.0.x or 3.1.x${hint}`] });
  }
  const external = externalRefs(raw);
  if (external.length > 0) {
    const details: FieldErrors = {};
    for (const path of external) details[path] = ['refers outside the document; only internal references (#/components/...) are resolved'];
    throw invalid(details);
  }
  let doc: Document;
  const parser = new SwaggerParser();
  try {
    // An object (never a string: a string would be read as a file path or URL). Schemas on a
    // reference cycle keep their $refs here; expandSchema resolves them up to the cycle.
    doc = (await parser.validate(
      structuredClone(raw) as never,
      {
        resolve: { external: false, file: false, http: false },
        dereference: { circular: 'ignore' },
      } as SwaggerParser.Options,
    )) as Document;
  } catch (err) {
    const message = (err as Error).message.trim().split('\n').slice(0, 8).join(' ').slice(0, 2000);
    throw invalid({ document: [message] });
  }
  return toConnector(doc, options, (ref) => parser.$refs.get(ref));
}

type RefLookup = (ref: string) => unknown;

function toConnector(doc: Document, options: OpenApiImportOptions, lookup: RefLookup): OpenApiImportResult {
  const warnings: string[] = [];
  const variables: NonNullable<ConnectorBodyJson['variables']> = {};
  const server = doc.servers?.[0];
  let baseUrl = options.baseUrl;
  if (baseUrl === undefined) {
    if (server === undefined) throw invalid({ base_url: ['the document names no servers; give base_url'] });
    // Server variables `{region}` become connector variables `{{region}}` with their defaults.
    baseUrl = server.url.replace(/\{([^}]+)\}/g, (_whole, name: string) => `{{${name}}}`);
    for (const [name, variable] of Object.entries(server.variables ?? {})) {
      variables[name] = {
        default: String(variable.default),
        ...(variable.description === undefined ? {} : { description: variable.description.slice(0, 2000) }),
      };
    }
    if (!/^https?:\/\//i.test(baseUrl)) {
      throw invalid({ base_url: [`the document's first server "${server.url}" is not an absolute http(s) URL; give base_url`] });
    }
  }

  const endpoints: Array<Record<string, unknown>> = [];
  const names = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (item === undefined) continue;
    const shared = (item.parameters ?? []) as Parameter[];
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (operation === undefined) continue;
      if (endpoints.length >= MAX_ENDPOINTS) {
        warnings.push(`only the first ${MAX_ENDPOINTS} operations were imported`);
        break;
      }
      endpoints.push(toEndpoint(path, method, operation, shared, { names, warnings, lookup }));
    }
    for (const skipped of ['options', 'trace'] as const) {
      if (item[skipped] !== undefined)
        warnings.push(`${skipped.toUpperCase()} ${path} was skipped: connectors do not send ${skipped.toUpperCase()}`);
    }
  }

  return {
    connector: {
      name: (options.name ?? doc.info.title).slice(0, MAX_NAME) || 'Imported API',
      protocol: 'http',
      base_url: baseUrl,
      variables,
      auth_methods: authMethods(doc, warnings),
      endpoints,
    },
    warnings,
  };
}

function uniqueName(wanted: string, names: Set<string>): string {
  const base = wanted.slice(0, MAX_NAME - 4) || 'endpoint';
  let name = base;
  for (let i = 2; names.has(name); i++) name = `${base} ${i}`;
  names.add(name);
  return name;
}

function toEndpoint(
  path: string,
  method: (typeof METHODS)[number],
  operation: Operation,
  shared: Parameter[],
  { names, warnings, lookup }: { names: Set<string>; warnings: string[]; lookup: RefLookup },
): Record<string, unknown> {
  const upper = method.toUpperCase();
  const name = uniqueName(operation.operationId ?? `${upper} ${path}`, names);
  // Operation parameters override path-level ones of the same name and place.
  const byKey = new Map<string, Parameter>();
  for (const p of [...shared, ...((operation.parameters ?? []) as Parameter[])]) byKey.set(`${p.in}:${p.name}`, p);
  const query: Record<string, Json> = {};
  const headers: Record<string, Json> = {};
  for (const p of byKey.values()) {
    const param: Json = { required: p.required === true };
    if (p.description !== undefined) param.description = p.description.slice(0, 2000);
    if (p.in === 'query') query[p.name] = param;
    else if (p.in === 'header') headers[p.name] = param;
    else if (p.in === 'cookie') warnings.push(`${name}: cookie parameter "${p.name}" was left out; set it as a header if it is needed`);
    // Path parameters are the {{name}} places of the path: values from step or instance variables.
  }

  const requestBody = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
  const requestMedia = pickMedia(requestBody?.content, lookup);
  const success = Object.entries(operation.responses ?? {}).find(([status]) => /^2\d\d$|^2XX$/i.test(status))?.[1] as
    | OpenAPIV3.ResponseObject
    | undefined;
  const responseMedia = pickMedia(success?.content, lookup);
  const direction = method === 'get' || method === 'head' ? 'receive' : 'send';
  const dataType = dataTypeOf(
    (direction === 'send' ? requestMedia?.type : responseMedia?.type) ?? requestMedia?.type ?? responseMedia?.type,
  );

  const endpoint: Record<string, unknown> = {
    name,
    method: upper,
    path: path.replace(/\{([^}]+)\}/g, (_whole, param: string) => `{{${param}}}`),
    data_type: dataType,
    direction,
  };
  const description = operation.summary ?? operation.description;
  if (description !== undefined) endpoint.description = description.slice(0, 2000);
  if (Object.keys(query).length > 0) endpoint.query = query;
  if (Object.keys(headers).length > 0) endpoint.headers = headers;
  if (responseMedia?.schema !== undefined) endpoint.schema = responseMedia.schema;
  if (requestMedia?.schema !== undefined) endpoint.request_schema = requestMedia.schema;
  return endpoint;
}

interface Media {
  type: string;
  schema?: Json;
}

/** JSON first (what the map editor reads best), then XML, CSV, anything else. */
function pickMedia(content: Record<string, OpenAPIV3.MediaTypeObject> | undefined, lookup: RefLookup): Media | undefined {
  if (content === undefined) return undefined;
  const types = Object.keys(content);
  const order = [/json/i, /xml/i, /csv/i, /./];
  for (const pattern of order) {
    const type = types.find((t) => pattern.test(t));
    if (type !== undefined) {
      const schema = content[type]?.schema;
      return { type, ...(schema === undefined ? {} : { schema: expandSchema(schema, lookup, [], { left: MAX_SCHEMA_NODES }) as Json }) };
    }
  }
  return undefined;
}

/**
 * A plain-JSON copy of a schema with its internal $refs resolved, except where a reference
 * would repeat one of its own ancestors (Category.parent → Category): that one stays a $ref. A
 * node budget keeps a document that reuses schemas many times over from growing without bound.
 */
function expandSchema(node: unknown, lookup: RefLookup, ancestors: string[], budget: { left: number }): unknown {
  budget.left--;
  if (Array.isArray(node)) return node.map((item) => expandSchema(item, lookup, ancestors, budget));
  if (node === null || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Json;
  if (typeof $ref === 'string') {
    if (ancestors.includes($ref) || budget.left <= 0) return node;
    const target = expandSchema(lookup($ref), lookup, [...ancestors, $ref], budget);
    return typeof target === 'object' && target !== null ? { ...(target as Json), ...rest } : target;
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(rest)) out[key] = expandSchema(value, lookup, ancestors, budget);
  return out;
}

function dataTypeOf(mediaType: string | undefined): 'json' | 'xml' | 'csv' | 'txt' {
  if (mediaType === undefined || /json/i.test(mediaType)) return 'json';
  if (/xml/i.test(mediaType)) return 'xml';
  if (/csv/i.test(mediaType)) return 'csv';
  return 'txt';
}

/** Security schemes → auth methods (settings only; the secrets are each instance's credentials). */
function authMethods(doc: Document, warnings: string[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const schemes = (doc.components?.securitySchemes ?? {}) as Record<string, OpenAPIV3.SecuritySchemeObject>;
  for (const [key, scheme] of Object.entries(schemes)) {
    const name = key.slice(0, 100);
    if (scheme.type === 'http' && scheme.scheme.toLowerCase() === 'basic') out.push({ type: 'basic', name });
    else if (scheme.type === 'http' && scheme.scheme.toLowerCase() === 'bearer') out.push({ type: 'bearer', name });
    else if (scheme.type === 'apiKey' && (scheme.in === 'header' || scheme.in === 'query'))
      out.push({ type: 'api_key', name, in: scheme.in, param_name: scheme.name });
    else if (scheme.type === 'oauth2' && scheme.flows.clientCredentials !== undefined) {
      const flow = scheme.flows.clientCredentials;
      const scope = Object.keys(flow.scopes ?? {}).join(' ');
      out.push({ type: 'oauth2_client_credentials', name, token_url: flow.tokenUrl, ...(scope === '' ? {} : { scope }) });
    } else if (scheme.type === 'oauth2' && scheme.flows.authorizationCode !== undefined) {
      const flow = scheme.flows.authorizationCode;
      const scope = Object.keys(flow.scopes ?? {}).join(' ');
      out.push({
        type: 'oauth2_authorization_code',
        name,
        authorize_url: flow.authorizationUrl,
        token_url: flow.tokenUrl,
        ...(scope === '' ? {} : { scope }),
      });
    } else warnings.push(`security scheme "${key}" (${scheme.type}) has no matching auth method and was left out`);
  }
  return out;
}
