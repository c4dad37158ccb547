/**
 * Row shapes of the PostgreSQL tables (see migrations.ts) as the store's connections read them:
 * database.ts makes timestamptz arrive as ISO 8601 strings and bigint as numbers; json and arrays
 * arrive parsed. Also the table types Kysely builds the dynamic queries with.
 */

export interface SettingsTable {
  key: string;
  value: string;
}

export interface CompaniesTable {
  id: string;
  name: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  company_id: string;
  name: string;
  email: string;
  role: string;
  password_hash: string;
  created_at: string;
}

export interface TokensTable {
  id: string;
  user_id: string;
  company_id: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  company_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface FlowsTable {
  id: string;
  company_id: string;
  name: string;
  description: string;
  enabled: boolean;
  priority: number;
  labels: string[];
  draft_version_id: string;
  deployed_version_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface FlowVersionsTable {
  id: string;
  company_id: string;
  flow_id: string;
  number: number;
  status: string;
  /** A FlowDefinition (json). */
  definition: unknown;
  created_at: string;
  updated_at: string;
  deployed_at: string | null;
}

export interface RunsTable {
  id: string;
  company_id: string;
  flow_id: string;
  version_id: string;
  status: string;
  trigger: string;
  priority: number;
  expedite: boolean;
  input_payload_id: string | null;
  variables: Record<string, string>;
  parent_run_id: string | null;
  retry_of_run_id: string | null;
  stop_requested: boolean;
  error: string | null;
  steps_completed: number;
  attempts: number;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
}

export interface RunCountsTable {
  company_id: string;
  flow_id: string;
  version_id: string;
  status: string;
  trigger: string;
  slot: number;
  runs: number;
}

export interface StepResultsTable {
  run_id: string;
  item_key: string;
  seq: number;
  step_id: string;
  status: string;
  outputs: Record<string, string[]>;
  variables: Record<string, string>;
  attempts: number;
  started_at: string;
  finished_at: string;
}

export interface RunLogsTable {
  id: number;
  run_id: string;
  step_id: string | null;
  step_name: string | null;
  level: string;
  message: string;
  attempt: number | null;
  duration_ms: number | null;
  payload_ids_in: string[];
  payload_ids_out: string[];
  data: Record<string, unknown> | null;
  created_at: string;
}

export interface PayloadBlobsTable {
  sha256: string;
  bytes: number;
  body: Buffer;
  created_at: string;
}

export interface PayloadsTable {
  id: string;
  company_id: string;
  run_id: string | null;
  format: string;
  meta: Record<string, string>;
  bytes: number;
  sha256: string;
  /** NULL when the bytes live in payload_blobs. */
  body: Buffer | null;
  created_at: string;
}

export interface IdempotencyKeysTable {
  company_id: string;
  key: string;
  request_hash: string;
  run_id: string;
  created_at: string;
  expires_at: string;
}

export interface Tables {
  settings: SettingsTable;
  companies: CompaniesTable;
  users: UsersTable;
  tokens: TokensTable;
  api_keys: ApiKeysTable;
  flows: FlowsTable;
  flow_versions: FlowVersionsTable;
  runs: RunsTable;
  run_counts: RunCountsTable;
  step_results: StepResultsTable;
  run_logs: RunLogsTable;
  payload_blobs: PayloadBlobsTable;
  payloads: PayloadsTable;
  idempotency_keys: IdempotencyKeysTable;
}
