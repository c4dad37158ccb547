import type { FlowDefinition, LogLevel, PayloadFormat, Role, RunStatus, RunTrigger, VersionStatus } from '@weft/schema';
import type {
  ApiKey,
  Company,
  Flow,
  FlowHead,
  FlowVersion,
  JournalRecord,
  PayloadRecord,
  Run,
  RunLog,
  User,
  UserWithSecret,
} from '../types.js';
import type { TokenGrant } from '../user-admin-types.js';
import type {
  ApiKeysTable,
  CompaniesTable,
  FlowsTable,
  FlowVersionsTable,
  PayloadsTable,
  RunLogsTable,
  RunsTable,
  StepResultsTable,
  TokensTable,
  UsersTable,
} from './tables.js';

/** Row → domain object conversions; the only place that knows how values are encoded in SQLite. */

export function toCompany(row: CompaniesTable): Company {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export function toUser(row: UsersTable): User {
  return { id: row.id, companyId: row.company_id, name: row.name, email: row.email, role: row.role as Role, createdAt: row.created_at };
}

export function toUserWithSecret(row: UsersTable): UserWithSecret {
  return { ...toUser(row), passwordHash: row.password_hash };
}

/** A token row joined with its user's role: the one way tokens are read (the auth check). */
export function toTokenGrant(row: TokensTable & { role: string }): TokenGrant {
  return {
    id: row.id,
    userId: row.user_id,
    companyId: row.company_id,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    role: row.role as Role,
  };
}

export function toApiKey(row: ApiKeysTable): ApiKey {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export type FlowRow = FlowsTable & { versions_count: number | null; latest_run_status: string | null };

export function toFlow(row: FlowRow): Flow {
  return {
    ...toFlowHead(row),
    versionsCount: row.versions_count ?? 0,
    latestRunStatus: row.latest_run_status as RunStatus | null,
  };
}

export function toFlowHead(row: FlowsTable): FlowHead {
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    description: row.description,
    enabled: row.enabled === 1,
    priority: row.priority,
    labels: JSON.parse(row.labels) as string[],
    draftVersionId: row.draft_version_id,
    deployedVersionId: row.deployed_version_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `definition`: the already parsed definition of this row, when the caller has it. */
export function toVersion(row: FlowVersionsTable, definition?: FlowDefinition): FlowVersion {
  return {
    id: row.id,
    companyId: row.company_id,
    flowId: row.flow_id,
    number: row.number,
    status: row.status as VersionStatus,
    definition: definition ?? (JSON.parse(row.definition) as FlowDefinition),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deployedAt: row.deployed_at,
  };
}

export function toRun(row: RunsTable): Run {
  return {
    id: row.id,
    companyId: row.company_id,
    flowId: row.flow_id,
    versionId: row.version_id,
    status: row.status as RunStatus,
    trigger: row.trigger as RunTrigger,
    priority: row.priority,
    expedite: row.expedite === 1,
    inputPayloadId: row.input_payload_id,
    variables: JSON.parse(row.variables) as Record<string, string>,
    parentRunId: row.parent_run_id,
    retryOfRunId: row.retry_of_run_id,
    stopRequested: row.stop_requested === 1,
    error: row.error,
    stepsCompleted: row.steps_completed,
    attempts: row.attempts,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
  };
}

export function toJournalRecord(row: StepResultsTable): JournalRecord {
  return {
    itemKey: row.item_key,
    stepId: row.step_id,
    status: row.status as JournalRecord['status'],
    outputs: JSON.parse(row.outputs) as Record<string, string[]>,
    variables: JSON.parse(row.variables) as Record<string, string>,
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function toRunLog(row: RunLogsTable): RunLog {
  return {
    id: row.id,
    runId: row.run_id,
    stepId: row.step_id,
    stepName: row.step_name,
    level: row.level as LogLevel,
    message: row.message,
    attempt: row.attempt,
    durationMs: row.duration_ms,
    payloadIdsIn: JSON.parse(row.payload_ids_in) as string[],
    payloadIdsOut: JSON.parse(row.payload_ids_out) as string[],
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
    createdAt: row.created_at,
  };
}

export type PayloadMetaRow = Omit<PayloadsTable, 'body'>;

export function toPayloadRecord(row: PayloadMetaRow): PayloadRecord {
  return {
    id: row.id,
    companyId: row.company_id,
    runId: row.run_id,
    format: row.format as PayloadFormat,
    meta: JSON.parse(row.meta) as Record<string, string>,
    bytes: row.bytes,
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}
