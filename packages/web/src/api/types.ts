import type { FlowDefinition, LogLevel, PayloadFormat, Role, RunStatus, RunTrigger, VersionStatus } from '@weft/schema';

/** The JSON shapes of the API (packages/server/src/http/<resource>/serialize.ts), as the dashboard reads them. */

export interface ListMeta {
  current_page: number;
  per_page: number;
  total: number;
  last_page: number;
}

export interface List<T> {
  data: T[];
  meta: ListMeta;
}

export interface Company {
  id: string;
  name: string;
}

export interface User {
  id: string;
  company_id: string;
  name: string;
  email: string;
  role: Role;
}

export interface Me {
  user: User | null;
  company: Company;
  role: Role;
  credential: 'token' | 'api_key';
}

export interface LoginAnswer {
  message: string;
  token: string;
  expires_in: number;
}

export interface Flow {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  labels: string[];
  draft_version_id: string;
  deployed_version_id: string | null;
  versions_count: number;
  latest_run_status: RunStatus | null;
  created_at: string;
  updated_at: string;
}

export interface FlowVersion {
  id: string;
  flow_id: string;
  number: number;
  status: VersionStatus;
  created_at: string;
  updated_at: string;
  deployed_at: string | null;
  definition?: FlowDefinition;
}

export type FlowVersionWithDefinition = FlowVersion & { definition: FlowDefinition };

export interface Run {
  id: string;
  flow_id: string;
  flow_version_id: string;
  status: RunStatus;
  trigger: RunTrigger;
  priority: number;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  steps_completed: number;
  attempts: number;
  error: unknown;
  stop_requested: boolean;
  input_payload_id: string | null;
  parent_run_id: string | null;
  retry_of_run_id: string | null;
}

export interface StartAnswer {
  message: string;
  flow_run_id: string;
  data: Pick<Run, 'id' | 'flow_id' | 'flow_version_id' | 'status' | 'trigger'>;
}

export interface RunLog {
  id: string;
  step_id: string | null;
  step_name: string | null;
  level: LogLevel;
  message: string;
  attempt: number | null;
  duration_ms: number | null;
  payload_ids_in: string[];
  payload_ids_out: string[];
  data: unknown;
  created_at: string;
}

export interface PayloadInfo {
  id: string;
  run_id: string;
  format: PayloadFormat;
  bytes: number;
  sha256: string;
  meta: Record<string, string>;
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  key: string;
  created_at: string;
}

export interface MapPreviewError {
  rule: number | null;
  message: string;
}

export interface MapPreview {
  output: unknown;
  errors: MapPreviewError[];
}

export interface AuditEntry {
  id: string;
  actor_type: 'user' | 'api_key' | 'anonymous';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure';
  address: string | null;
  data: Record<string, unknown> | null;
  created_at: string;
}

export type ConnectorProtocol = 'http' | 'postgres' | 'mysql';

export interface ConnectorEndpoint {
  name: string;
  method: string;
  path: string;
  data_type: string;
  direction: 'receive' | 'send';
  [key: string]: unknown;
}

export interface Connector {
  id: string;
  name: string;
  protocol: ConnectorProtocol;
  base_url: string;
  variables: Record<string, { default?: string; description?: string }>;
  auth_methods: Array<Record<string, unknown> & { type: string; name?: string }>;
  endpoints: ConnectorEndpoint[];
  created_at: string;
  updated_at: string;
}

export type ConnectorBody = Pick<Connector, 'name' | 'protocol' | 'base_url' | 'variables' | 'auth_methods' | 'endpoints'>;

/** POST /instances/{id}/test: one request with the instance's credentials (never shown). */
export interface ConnectionTest {
  ok: boolean;
  status: number | null;
  duration_ms: number;
  code?: string;
  message?: string;
  endpoint: string | null;
}

export interface Instance {
  id: string;
  connector_id: string;
  name: string;
  variables: Record<string, string>;
  auth_method: string | null;
  credentials_set: boolean;
  credential_fields: string[];
  created_at: string;
  updated_at: string;
}

export interface InstanceBody {
  connector_id?: string;
  name?: string;
  variables?: Record<string, string>;
  auth_method?: string | null;
  /** Write-only: sent to set or replace them, null to remove them; never read back. */
  credentials?: Record<string, string> | null;
}

export interface FlowExport {
  format?: string;
  flow: { name: string; description?: string | null; labels?: string[]; priority?: number; enabled?: boolean };
  versions?: Array<{ number?: number; status?: string; definition: FlowDefinition }>;
  definition?: FlowDefinition;
  [key: string]: unknown;
}
