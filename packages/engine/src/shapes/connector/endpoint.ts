/**
 * What the `connectors` port hands the connector shape: one endpoint of an instance, with the
 * instance's variables already applied to the base URL and its credentials decrypted. The shape
 * never sees the store or the cipher; the server resolves (spec/flows.md §3).
 */
import type { ResolvedDatabase } from './database.js';

export type EndpointMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type EndpointDataType = 'json' | 'xml' | 'csv' | 'txt';
export type PaginationType = 'link_header' | 'next_url' | 'next_token' | 'page_number' | 'limit_offset' | 'cursor';
export type ConnectorAuthType =
  | 'none'
  | 'basic'
  | 'bearer'
  | 'api_key'
  | 'oauth2_client_credentials'
  | 'oauth2_authorization_code'
  | 'custom_headers';

/** At most `requests` per `per_seconds` for one instance (and bucket), across every run and process. */
export interface EndpointRateLimit {
  requests: number;
  per_seconds: number;
  /** Endpoints naming the same bucket share one limit; the default is the endpoint's name. */
  bucket?: string;
}

export interface EndpointParam {
  /** A template; the step's endpoint variable of the same name takes precedence. */
  value?: string;
  required?: boolean;
}

export interface EndpointPagination {
  type: PaginationType;
  max_pages?: number;
  /** A body path (`links.next`) to the next URL, token or cursor. */
  next_path?: string;
  /** The query parameter that carries the page number, offset, token or cursor. */
  param?: string;
  size_param?: string;
  size?: number;
  start?: number;
}

export interface ResolvedEndpointDefinition {
  name: string;
  method: EndpointMethod;
  /** Appended to the base URL; may hold `{{variable}}` and `[[...]]` templates. */
  path: string;
  query: Record<string, EndpointParam>;
  headers: Record<string, EndpointParam>;
  body?: string;
  data_type: EndpointDataType;
  direction: 'receive' | 'send';
  pagination?: EndpointPagination;
  rate_limit?: EndpointRateLimit;
}

export interface ResolvedAuth {
  type: ConnectorAuthType;
  /** Decrypted; every value is masked wherever the shape logs or fails. */
  credentials: Record<string, string>;
  /** The auth method's settings (header name, token URL, …), never secrets. */
  settings: Record<string, unknown>;
}

export interface ResolvedEndpoint {
  connectorId: string;
  instanceId: string;
  /** The connector's base URL with the instance's variables (or the connector's defaults) filled in. */
  baseUrl: string;
  /** Instance variables over connector defaults; endpoint templates may name them as `{{name}}`. */
  variables: Record<string, string>;
  endpoint: ResolvedEndpointDefinition;
  auth: ResolvedAuth;
  /** Set for a database connector (protocol postgres or mysql): `endpoint` then only carries its name and direction. */
  database?: ResolvedDatabase;
}

export interface ConnectorResolver {
  /** Throws AppError NOT_FOUND (not retryable) for an unknown instance or endpoint. */
  resolve(companyId: string, instanceId: string, endpointName: string): Promise<ResolvedEndpoint>;
  /**
   * Books the next free slot of a rate limit in shared storage (so every run and process counts)
   * and returns the epoch milliseconds at which the request may go; absent means no limiting.
   */
  reserveSlot?(companyId: string, instanceId: string, bucket: string, limit: EndpointRateLimit, nowMs: number): Promise<number>;
  /** The instance with its auth but no endpoint (a stand-in one), for testing a token request alone. */
  resolveAuth?(companyId: string, instanceId: string): Promise<ResolvedEndpoint>;
  /** Keeps a bucket's next slot at or after `untilMs` for every run and process (a 429's Retry-After). */
  deferSlot?(companyId: string, instanceId: string, bucket: string, untilMs: number): Promise<void>;
  /** Merges fields into the instance's stored credentials (renewed OAuth 2 tokens), encrypted by the server. */
  saveCredentials?(companyId: string, instanceId: string, fields: Record<string, string>): Promise<void>;
  /** The instance's credentials as stored now, bypassing any cache (another process may have renewed a token). */
  freshCredentials?(companyId: string, instanceId: string): Promise<Record<string, string>>;
}
