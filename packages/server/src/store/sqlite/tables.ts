/** Row shapes of the SQLite tables, for Kysely's typed query building (see migrations.ts). */

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
  enabled: number;
  priority: number;
  /** JSON array of strings. */
  labels: string;
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
  /** JSON FlowDefinition. */
  definition: string;
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
  expedite: number;
  input_payload_id: string | null;
  /** JSON object of strings. */
  variables: string;
  parent_run_id: string | null;
  retry_of_run_id: string | null;
  stop_requested: number;
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
  runs: number;
}

export interface StepResultsTable {
  seq: number;
  run_id: string;
  item_key: string;
  step_id: string;
  status: string;
  outputs: string;
  variables: string;
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
  payload_ids_in: string;
  payload_ids_out: string;
  data: string | null;
  created_at: string;
}

export interface PayloadsTable {
  id: string;
  company_id: string;
  run_id: string | null;
  format: string;
  meta: string;
  bytes: number;
  sha256: string;
  /** NULL when the bytes live in a file under the payload directory. */
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
  payloads: PayloadsTable;
  idempotency_keys: IdempotencyKeysTable;
}
