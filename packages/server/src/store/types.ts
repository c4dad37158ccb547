import type { FlowDefinition, LogLevel, PayloadFormat, Role, RunStatus, RunTrigger, VersionStatus } from '@weft/schema';
import type { ConnectorExtrasStoreMethods } from './connector-extras-types.js';
import type { DataStore } from './data-types.js';
import type { EventTriggerStoreMethods } from './event-trigger-types.js';
import type { FinalStepStoreMethods } from './final-step-types.js';
import type { LookupStoreMethods } from './lookup-types.js';
import type { NotificationStoreMethods } from './notification-types.js';
import type { OperationsStore } from './operations-types.js';
import type { ScriptStoreMethods } from './scripts-types.js';
import type { UserAdminStoreMethods } from './user-admin-types.js';

/**
 * The store: the one source of truth. Two adapters implement it (sqlite now, postgres with the
 * distributed mode) and both run the same conformance suite (conformance.ts).
 *
 * Every method that touches a tenant's data takes the companyId and scopes its queries by it;
 * an id of another company behaves exactly like an unknown id (undefined / NOT_FOUND).
 * Timestamps are ISO 8601 UTC strings. Ids are opaque strings (time-ordered, see ids.ts).
 */

export interface Company {
  id: string;
  name: string;
  createdAt: string;
}

export interface User {
  id: string;
  companyId: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}
export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface TokenRecord {
  id: string;
  userId: string;
  companyId: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface ApiKey {
  id: string;
  companyId: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Flow {
  id: string;
  companyId: string;
  name: string;
  description: string;
  enabled: boolean;
  /** 1 highest … 5 lowest. */
  priority: number;
  labels: string[];
  draftVersionId: string;
  deployedVersionId: string | null;
  versionsCount: number;
  /** Status of the flow's most recently created run. */
  latestRunStatus: RunStatus | null;
  createdAt: string;
  updatedAt: string;
}

/** A flow as its own row has it, without the counts computed from versions and runs. */
export type FlowHead = Omit<Flow, 'versionsCount' | 'latestRunStatus'>;

export interface FlowVersion {
  id: string;
  companyId: string;
  flowId: string;
  number: number;
  status: VersionStatus;
  definition: FlowDefinition;
  createdAt: string;
  updatedAt: string;
  deployedAt: string | null;
}

export interface Run {
  id: string;
  companyId: string;
  flowId: string;
  versionId: string;
  status: RunStatus;
  trigger: RunTrigger;
  priority: number;
  /** Manual starts and retries go ahead of queued work. */
  expedite: boolean;
  inputPayloadId: string | null;
  variables: Record<string, string>;
  parentRunId: string | null;
  retryOfRunId: string | null;
  stopRequested: boolean;
  error: string | null;
  stepsCompleted: number;
  attempts: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
}

export interface PayloadRecord {
  id: string;
  companyId: string;
  runId: string | null;
  format: PayloadFormat;
  meta: Record<string, string>;
  bytes: number;
  sha256: string;
  createdAt: string;
}

export interface PayloadInput {
  format: PayloadFormat;
  meta: Record<string, string>;
  body: Buffer;
}

export interface RunLog {
  id: number;
  runId: string;
  stepId: string | null;
  stepName: string | null;
  level: LogLevel;
  message: string;
  attempt: number | null;
  durationMs: number | null;
  payloadIdsIn: string[];
  payloadIdsOut: string[];
  data: Record<string, unknown> | null;
  createdAt: string;
}

export type RunLogInput = Omit<RunLog, 'id' | 'runId' | 'createdAt'> & { createdAt?: string };

/** One completed step execution, recorded before the next step starts (quality.md §1.2). */
export interface JournalRecord {
  itemKey: string;
  stepId: string;
  status: 'success' | 'failure';
  /** Output payload ids per outgoing edge label; '' is the unlabelled bucket. */
  outputs: Record<string, string[]>;
  variables: Record<string, string>;
  attempts: number;
  startedAt: string;
  finishedAt: string;
}

export interface JournalWrite {
  itemKey: string;
  stepId: string;
  status: 'success' | 'failure';
  /** Output payloads per label; those with an id are already stored and only referenced. */
  outputs: Record<string, Array<PayloadInput & { id?: string }>>;
  variables: Record<string, string>;
  attempts: number;
  startedAt: string;
  finishedAt: string;
  logs: RunLogInput[];
  /** The log entry (index into logs) whose payloadIdsOut the store fills with every output id it assigns. */
  outputsLogIndex?: number;
}

export interface Page {
  page: number;
  perPage: number;
}
export interface PageResult<T> {
  rows: T[];
  total: number;
}

/** `name`: case-insensitive substring; `label`: one of the flow's labels, exactly. */
export interface FlowFilters {
  name?: string;
  enabled?: boolean;
  deployed?: boolean;
  label?: string;
}
/**
 * Lists match any of their values; an empty list filters nothing. `startedAfter` is inclusive,
 * `startedBefore` exclusive; any ISO 8601 form (AppError VALIDATION_FAILED when not a timestamp).
 */
export interface RunFilters {
  flowId?: string[];
  versionId?: string[];
  status?: RunStatus[];
  trigger?: RunTrigger[];
  startedAfter?: string;
  startedBefore?: string;
}
/** A run not started (finished) yet sorts as later than every other, as PostgreSQL orders NULLs; ties by id. */
export type RunSort = 'started_at' | '-started_at' | 'queued_at' | '-queued_at' | 'finished_at' | '-finished_at';

export interface CreateRunInput {
  flowId: string;
  versionId: string;
  trigger: RunTrigger;
  priority: number;
  expedite: boolean;
  input: PayloadInput;
  variables?: Record<string, string>;
  parentRunId?: string;
  retryOfRunId?: string;
  /** When set: a second create with the same key (per company, 24 h) returns the first run. */
  idempotency?: { key: string; requestHash: string };
}

export interface CreateRunResult {
  run: Run;
  /** True when the idempotency key matched an earlier request and nothing was created. */
  replayed: boolean;
}

export type ConnectorProtocol = 'http' | 'postgres' | 'mysql';

/**
 * A system Weft talks to, defined once per company. Auth methods and endpoints are kept as the
 * API validated them (snake_case JSON); they never hold secrets, which belong to instances.
 */
export interface Connector {
  id: string;
  companyId: string;
  name: string;
  protocol: ConnectorProtocol;
  /** A template: may name connector variables as {{name}}. */
  baseUrl: string;
  variables: Record<string, { default?: string; description?: string }>;
  authMethods: Array<Record<string, unknown>>;
  endpoints: Array<Record<string, unknown>>;
  createdAt: string;
  updatedAt: string;
}

export type ConnectorInput = Omit<Connector, 'id' | 'companyId' | 'createdAt' | 'updatedAt'>;

/** Credentials as the store keeps them: the ciphertext (crypto/credentials.ts) and the field names, never values. */
export interface SealedCredentials {
  ciphertext: string;
  fields: string[];
}

/** A company's configured connector. Carries no ciphertext: that is read only through getInstanceSecret. */
export interface Instance {
  id: string;
  companyId: string;
  connectorId: string;
  name: string;
  variables: Record<string, string>;
  /** The name of one of the connector's auth methods; null for none chosen. */
  authMethod: string | null;
  credentialsSet: boolean;
  credentialFields: string[];
  createdAt: string;
  updatedAt: string;
}

export interface InstanceInput {
  connectorId: string;
  name: string;
  variables: Record<string, string>;
  authMethod: string | null;
  credentials: SealedCredentials | null;
}

/** `credentials: null` removes them; absent leaves them as they are. */
export type InstancePatch = Partial<Omit<InstanceInput, 'connectorId'>>;

/** Who did an audited thing: a logged-in user, an API key, or nobody known (a failed login). */
export type AuditActorType = 'user' | 'api_key' | 'anonymous';

/**
 * One row of the append-only audit log. companyId is null for what belongs to no company (a failed
 * login for an email no account has); such rows are never listed for any company. data is small
 * and never holds secrets.
 */
export interface AuditEntry {
  id: string;
  companyId: string | null;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  address: string | null;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'createdAt'>;

/** Lists match any of their values; `from` is inclusive, `to` exclusive (ISO 8601 UTC, already normalised). */
export interface AuditFilters {
  action?: string[];
  actorId?: string[];
  targetId?: string[];
  from?: string;
  to?: string;
}

/** A flow the scheduler serves: deployed, enabled, with at least one cron in its deployed trigger. */
export interface ScheduledFlow {
  companyId: string;
  flowId: string;
  versionId: string;
  priority: number;
  /** The deployed trigger's `schedules`, as written (5-field cron, UTC). */
  schedules: string[];
}

export interface Store
  extends ConnectorExtrasStoreMethods,
    FinalStepStoreMethods,
    EventTriggerStoreMethods,
    NotificationStoreMethods,
    DataStore,
    ScriptStoreMethods,
    LookupStoreMethods,
    OperationsStore,
    UserAdminStoreMethods {
  /** Creates tables / applies pending numbered migrations. Safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // settings (server-wide; e.g. the token signing key generated on first start)
  getSetting(key: string): Promise<string | undefined>;
  /** Sets the value only when absent and returns the value that is stored afterwards. */
  initSetting(key: string, value: string): Promise<string>;

  // companies and users
  /** Throws AppError EMAIL_TAKEN when the email (case-insensitive) exists. */
  createCompanyWithAdmin(input: {
    companyName: string;
    name: string;
    email: string;
    passwordHash: string;
  }): Promise<{ company: Company; user: User }>;
  getCompany(companyId: string): Promise<Company | undefined>;
  /** Throws AppError EMAIL_TAKEN when the email (case-insensitive) exists. */
  createUser(companyId: string, input: { name: string; email: string; passwordHash: string; role: Role }): Promise<User>;
  /** Login is the one lookup not scoped by company: the email is global. */
  findUserByEmail(email: string): Promise<UserWithSecret | undefined>;
  getUser(companyId: string, userId: string): Promise<User | undefined>;
  listUsers(companyId: string): Promise<User[]>;

  // tokens (ids of issued bearer tokens, for revocation); getTokenGrant reads them back with the user's role
  createToken(input: { id: string; userId: string; companyId: string; expiresAt: string }): Promise<void>;
  revokeToken(id: string): Promise<void>;

  // API keys
  createApiKey(companyId: string, input: { id: string; name: string; prefix: string; keyHash: string }): Promise<ApiKey>;
  /** Returns undefined for revoked keys. */
  findApiKeyByHash(keyHash: string): Promise<ApiKey | undefined>;
  listApiKeys(companyId: string): Promise<ApiKey[]>;
  revokeApiKey(companyId: string, id: string): Promise<ApiKey | undefined>;
  deleteApiKey(companyId: string, id: string): Promise<boolean>;
  touchApiKey(id: string, at: string): Promise<void>;

  // flows and versions
  /** Creates the flow (disabled, priority 3) and its draft version number 1. */
  createFlow(
    companyId: string,
    input: { name: string; description?: string; definition: FlowDefinition; labels?: string[]; priority?: number },
  ): Promise<Flow>;
  getFlow(companyId: string, flowId: string): Promise<Flow | undefined>;
  /** The flow's own columns, without the counted ones (versions, latest run status): what a start needs, in one row read. */
  getFlowHead(companyId: string, flowId: string): Promise<FlowHead | undefined>;
  /** Newest first. */
  listFlows(companyId: string, filters: FlowFilters, page: Page): Promise<PageResult<Flow>>;
  updateFlow(
    companyId: string,
    flowId: string,
    patch: { name?: string; description?: string; enabled?: boolean; priority?: number; labels?: string[] },
  ): Promise<Flow | undefined>;
  /** Deletes the flow, its versions; runs and payloads stay until retention removes them. */
  deleteFlow(companyId: string, flowId: string): Promise<boolean>;
  listVersions(companyId: string, flowId: string): Promise<FlowVersion[]>;
  getVersion(companyId: string, versionId: string): Promise<FlowVersion | undefined>;
  /** Throws AppError VERSION_READ_ONLY when the version is not the draft. */
  updateDraft(companyId: string, versionId: string, definition: FlowDefinition): Promise<FlowVersion | undefined>;
  /**
   * In one transaction: the deployed version becomes inactive, this one deployed; when this one was
   * the draft, a copy of it becomes the new draft. `enable` also enables the flow.
   */
  deployVersion(companyId: string, versionId: string, options: { enable?: boolean }): Promise<FlowVersion | undefined>;
  /** Replaces the draft's definition with a copy of this version's. Returns the draft. */
  copyToDraft(companyId: string, versionId: string): Promise<FlowVersion | undefined>;

  // runs
  /**
   * In one transaction: the input payload, the run (status queued) and the idempotency record.
   * Throws AppError IDEMPOTENCY_KEY_REUSED when the key exists with another request hash.
   */
  createRun(companyId: string, input: CreateRunInput): Promise<CreateRunResult>;
  getRun(companyId: string, runId: string): Promise<Run | undefined>;
  listRuns(companyId: string, filters: RunFilters, sort: RunSort, page: Page): Promise<PageResult<Run>>;
  /**
   * Sets stopRequested on a non-terminal run; a queued run becomes stopped at once.
   * Throws AppError RUN_NOT_STOPPABLE when the run has already finished.
   */
  requestStop(companyId: string, runId: string): Promise<Run | undefined>;

  // the worker's side (not company-scoped: the worker serves every company)
  /** Runs that need a worker: queued, or running with an expired lease. Oldest first. */
  listRunnable(limit: number): Promise<Run[]>;
  /**
   * Takes the lease of a queued run, or of a running run whose lease expired; sets status running
   * and startedAt (first time) and counts an attempt. Returns undefined when someone else holds
   * it (the claimer included) or it is terminal.
   */
  claimRun(runId: string, owner: string, leaseMs: number): Promise<Run | undefined>;
  /** False when the lease was lost (expired and taken by another owner). */
  renewLease(runId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives the run back (graceful shutdown): status queued, lease cleared. */
  releaseRun(runId: string, owner: string): Promise<void>;
  /**
   * Sets a terminal status once; never changes a terminal status. False when the owner lost the
   * lease or it was terminal. A status that is not terminal is a bug (throws).
   */
  finishRun(runId: string, owner: string, outcome: { status: RunStatus; error?: string }): Promise<boolean>;
  countRunning(companyId: string): Promise<number>;

  // journal, logs, payloads
  loadJournal(runId: string): Promise<JournalRecord[]>;
  /**
   * Stores the step's output payloads, the journal record and its logs in one transaction, and
   * counts it in stepsCompleted; returns the output payload ids per label. An itemKey already
   * recorded stores nothing and returns the first record's ids. Throws AppError NOT_FOUND when
   * the run is not the company's or a referenced payload id is unknown.
   */
  recordStep(runId: string, companyId: string, write: JournalWrite): Promise<Record<string, string[]>>;
  /** Throws AppError NOT_FOUND for an unknown run. */
  appendLogs(runId: string, logs: RunLogInput[]): Promise<void>;
  listRunLogs(companyId: string, runId: string): Promise<RunLog[]>;
  getPayload(companyId: string, payloadId: string): Promise<PayloadRecord | undefined>;
  /** Throws AppError PAYLOAD_EXPIRED when the record is there but its bytes were removed. */
  getPayloadBody(companyId: string, payloadId: string): Promise<Buffer | undefined>;
  /**
   * Payloads by id for the worker (resume); order follows ids. Only the run's company's payloads;
   * throws AppError PAYLOAD_EXPIRED for an id that is not there (any more).
   */
  loadPayloads(runId: string, ids: string[]): Promise<Array<PayloadInput & { id: string }>>;

  // connectors and their instances
  createConnector(companyId: string, input: ConnectorInput): Promise<Connector>;
  getConnector(companyId: string, connectorId: string): Promise<Connector | undefined>;
  /** Newest first. */
  listConnectors(companyId: string, page: Page): Promise<PageResult<Connector>>;
  updateConnector(companyId: string, connectorId: string, patch: Partial<ConnectorInput>): Promise<Connector | undefined>;
  /** Throws AppError CONFLICT while instances use the connector. */
  deleteConnector(companyId: string, connectorId: string): Promise<boolean>;
  /** Throws AppError NOT_FOUND when the connector is not the company's. */
  createInstance(companyId: string, input: InstanceInput): Promise<Instance>;
  getInstance(companyId: string, instanceId: string): Promise<Instance | undefined>;
  /**
   * The credentials ciphertext, for the one caller that decrypts (the engine, test connection):
   * null when the instance has none, undefined when the instance is unknown.
   */
  getInstanceSecret(companyId: string, instanceId: string): Promise<string | null | undefined>;
  /** Newest first; `connectorId` narrows to one connector's instances. */
  listInstances(companyId: string, filters: { connectorId?: string }, page: Page): Promise<PageResult<Instance>>;
  updateInstance(companyId: string, instanceId: string, patch: InstancePatch): Promise<Instance | undefined>;
  deleteInstance(companyId: string, instanceId: string): Promise<boolean>;

  // triggers (schedules and webhooks)
  /**
   * Every company's flows that are deployed and enabled and whose deployed trigger has schedules
   * (not company-scoped: the scheduler serves every company). Ordered by flow id.
   */
  listScheduledFlows(): Promise<ScheduledFlow[]>;
  /**
   * Creates the flow's webhook secret when it has none and returns the plaintext, the only time it
   * is seen; undefined when a secret exists already or the flow is not the company's.
   */
  ensureWebhookSecret(companyId: string, flowId: string): Promise<string | undefined>;
  /** Replaces the flow's webhook secret with a new one and returns its plaintext; undefined for an unknown flow. */
  rotateWebhookSecret(companyId: string, flowId: string): Promise<string | undefined>;
  /**
   * The flow, as getFlowHead reads it, when the hash (sha256 hex of the secret) is the flow's webhook
   * secret's, compared in constant time; undefined for an unknown company or flow, a flow without a
   * secret, or another secret. One read for both: the webhook and callback URLs need the flow as soon
   * as the caller has proven the secret.
   */
  verifyWebhook(companyId: string, flowId: string, secretHash: string): Promise<FlowHead | undefined>;

  // the audit log: append-only, there is no method to change or remove an entry
  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  /** Newest first; only the company's entries. */
  listAudit(companyId: string, filters: AuditFilters, page: Page): Promise<PageResult<AuditEntry>>;
}
