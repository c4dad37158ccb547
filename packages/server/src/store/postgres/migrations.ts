import { connectorExtrasMigrationSql } from '../connector-extras-types.js';
import { dataMigrationSql } from './data-schema.js';
import { lookupTablesMigration, scriptsMigration } from './migrations-scripts.js';
import { notificationsMigrationSql, runLinksMigrationSql } from './notifications.js';
import { runsByFlowMigrationSql } from './runs-by-flow.js';
/**
 * The PostgreSQL schema as numbered migrations, applied in order and recorded in schema_migrations
 * (the same ids and shape as sqlite/migrations.ts, in this dialect). Statements are unqualified:
 * every connection of the store has search_path set to the configured schema. Never edit a
 * migration that has shipped: add the next number.
 */
export interface Migration {
  id: string;
  sql: string;
}

// Ids are text in the "C" collation: UUIDv7 text then sorts bytewise (time order) whatever the
// database's locale, and callers may still hand in ids that are not UUIDs (an unknown id must be
// "not found", not a type error). Timestamps are timestamptz, always bound from the JS clock.
const init = /* sql */ `
CREATE TABLE settings (
  key   text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE companies (
  id         text COLLATE "C" PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL
);

-- email is stored lowercased, so the plain unique constraint makes it unique case-insensitively.
CREATE TABLE users (
  id            text COLLATE "C" PRIMARY KEY,
  company_id    text COLLATE "C" NOT NULL REFERENCES companies (id),
  name          text NOT NULL,
  email         text NOT NULL CONSTRAINT users_email_unique UNIQUE,
  role          text NOT NULL CHECK (role IN ('administrator', 'manager', 'user', 'read_only')),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX users_company ON users (company_id, id);

CREATE TABLE tokens (
  id         text COLLATE "C" PRIMARY KEY,
  user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  company_id text COLLATE "C" NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE api_keys (
  id           text COLLATE "C" PRIMARY KEY,
  company_id   text COLLATE "C" NOT NULL REFERENCES companies (id),
  name         text NOT NULL,
  prefix       text NOT NULL,
  key_hash     text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_company ON api_keys (company_id, created_at);

-- draft_version_id / deployed_version_id are kept by the same transactions that change version
-- statuses; a foreign key would be circular with flow_versions.flow_id.
CREATE TABLE flows (
  id                  text COLLATE "C" PRIMARY KEY,
  company_id          text COLLATE "C" NOT NULL REFERENCES companies (id),
  name                text NOT NULL,
  description         text NOT NULL,
  enabled             boolean NOT NULL,
  priority            integer NOT NULL CHECK (priority BETWEEN 1 AND 5),
  labels              text[] NOT NULL,
  draft_version_id    text COLLATE "C" NOT NULL,
  deployed_version_id text COLLATE "C",
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);
CREATE INDEX flows_company ON flows (company_id, id);

-- definition is json, not jsonb: the definition comes back exactly as written, key order included.
CREATE TABLE flow_versions (
  id          text COLLATE "C" PRIMARY KEY,
  company_id  text COLLATE "C" NOT NULL,
  flow_id     text COLLATE "C" NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
  number      integer NOT NULL,
  status      text NOT NULL CHECK (status IN ('draft', 'deployed', 'inactive')),
  definition  json NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deployed_at timestamptz,
  UNIQUE (flow_id, number)
);
-- The database itself refuses a second draft or a second deployed version of a flow.
CREATE UNIQUE INDEX flow_versions_one_draft ON flow_versions (flow_id) WHERE status = 'draft';
CREATE UNIQUE INDEX flow_versions_one_deployed ON flow_versions (flow_id) WHERE status = 'deployed';

-- flow_id / version_id carry no foreign key: runs outlive a deleted flow until retention.
-- company_id carries none either: createRun proves the company through the flow version, and a
-- foreign key would take a share lock on the one company row in every concurrent start (multixact
-- contention at thousands of starts per second).
-- queued_at and the id come from one clock reading, so ordering by id is ordering by queued_at.
-- Indexes are few on purpose: a status change is not a HOT update, so every one of them is written.
CREATE TABLE runs (
  id               text COLLATE "C" PRIMARY KEY,
  company_id       text COLLATE "C" NOT NULL,
  flow_id          text COLLATE "C" NOT NULL,
  version_id       text COLLATE "C" NOT NULL,
  status           text NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failure', 'partial_success', 'stopped')),
  "trigger"        text NOT NULL,
  priority         integer NOT NULL,
  expedite         boolean NOT NULL,
  input_payload_id text COLLATE "C",
  variables        json NOT NULL,
  parent_run_id    text COLLATE "C",
  retry_of_run_id  text COLLATE "C",
  stop_requested   boolean NOT NULL DEFAULT false,
  error            text,
  steps_completed  integer NOT NULL DEFAULT 0,
  attempts         integer NOT NULL DEFAULT 0,
  queued_at        timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  lease_owner      text,
  lease_expires_at timestamptz
);
CREATE INDEX runs_company_queued ON runs (company_id, id);
-- PostgreSQL sorts NULLs last ascending and first descending: exactly "a run not started
-- (finished) yet is later than every other", so the list walks these indexes in either direction.
CREATE INDEX runs_company_started ON runs (company_id, started_at, id);
CREATE INDEX runs_company_finished ON runs (company_id, finished_at, id);
CREATE INDEX runs_company_flow ON runs (company_id, flow_id, id);
-- Partial: only the few runs waiting or running are in them, however many runs are stored.
CREATE INDEX runs_queued ON runs (id) WHERE status = 'queued';
CREATE INDEX runs_running ON runs (lease_expires_at) WHERE status = 'running';

-- Run totals per flow, version, status and trigger, kept by a trigger whoever changes runs: the
-- total of a list must not mean counting a million rows. Each total is spread over 8 slots (by
-- run id) so concurrent starts of one flow do not all queue on one row lock until their commit.
CREATE TABLE run_counts (
  company_id text COLLATE "C" NOT NULL,
  flow_id    text COLLATE "C" NOT NULL,
  version_id text COLLATE "C" NOT NULL,
  status     text NOT NULL,
  "trigger"  text NOT NULL,
  slot       smallint NOT NULL,
  runs       bigint NOT NULL,
  PRIMARY KEY (company_id, flow_id, version_id, status, "trigger", slot)
);

CREATE FUNCTION run_counts_add(r runs, delta integer) RETURNS void LANGUAGE sql AS $fn$
  INSERT INTO run_counts AS c (company_id, flow_id, version_id, status, "trigger", slot, runs)
    VALUES (r.company_id, r.flow_id, r.version_id, r.status, r."trigger", (hashtext(r.id) & 7)::smallint, delta)
    ON CONFLICT (company_id, flow_id, version_id, status, "trigger", slot) DO UPDATE SET runs = c.runs + excluded.runs;
$fn$;

-- A status change touches two rows of run_counts; they are always locked in status order, so two
-- changes in opposite directions (claim and release) cannot deadlock.
CREATE FUNCTION runs_counted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM run_counts_add(NEW, 1);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM run_counts_add(OLD, -1);
  ELSIF OLD.status < NEW.status THEN
    PERFORM run_counts_add(OLD, -1);
    PERFORM run_counts_add(NEW, 1);
  ELSE
    PERFORM run_counts_add(NEW, 1);
    PERFORM run_counts_add(OLD, -1);
  END IF;
  RETURN NULL;
END;
$fn$;

CREATE TRIGGER runs_counted AFTER INSERT OR DELETE ON runs FOR EACH ROW EXECUTE FUNCTION runs_counted();
CREATE TRIGGER runs_recounted AFTER UPDATE OF status ON runs
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION runs_counted();

-- The journal: one row per completed step execution (item). seq keeps the order recorded; it is
-- drawn from a sequence rather than the run's step count so that recording a step is one statement.
CREATE TABLE step_results (
  run_id      text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  item_key    text COLLATE "C" NOT NULL,
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  step_id     text NOT NULL,
  status      text NOT NULL CHECK (status IN ('success', 'failure')),
  outputs     json NOT NULL,
  variables   json NOT NULL,
  attempts    integer NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, item_key)
);

CREATE TABLE run_logs (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id          text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_id         text,
  step_name       text,
  level           text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
  message         text NOT NULL,
  attempt         integer,
  duration_ms     integer,
  payload_ids_in  text[] NOT NULL,
  payload_ids_out text[] NOT NULL,
  data            json,
  created_at      timestamptz NOT NULL
);
CREATE INDEX run_logs_run ON run_logs (run_id, id);

-- Bodies over the inline limit, stored once per content. In the database rather than in files:
-- every API and worker process on every machine reads the same bodies, and the body commits in the
-- same transaction as the row that names it.
CREATE TABLE payload_blobs (
  sha256     text COLLATE "C" PRIMARY KEY,
  bytes      bigint NOT NULL,
  body       bytea NOT NULL,
  created_at timestamptz NOT NULL
);

-- body holds the bytes of small payloads; NULL means they are in payload_blobs under sha256.
-- run_id and company_id carry no foreign key: payload retention is its own, and see runs above.
CREATE TABLE payloads (
  id         text COLLATE "C" PRIMARY KEY,
  company_id text COLLATE "C" NOT NULL,
  run_id     text COLLATE "C",
  format     text NOT NULL CHECK (format IN ('json', 'xml', 'csv', 'text')),
  meta       json NOT NULL,
  bytes      bigint NOT NULL,
  sha256     text COLLATE "C" NOT NULL,
  body       bytea,
  created_at timestamptz NOT NULL
);
-- Retention asks whether any other row still needs a blob before removing it.
CREATE INDEX payloads_blob ON payloads (sha256) WHERE body IS NULL;

CREATE TABLE idempotency_keys (
  company_id   text COLLATE "C" NOT NULL,
  key          text COLLATE "C" NOT NULL,
  request_hash text NOT NULL,
  run_id       text COLLATE "C" NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (company_id, key)
);
`;

/**
 * Connectors and their instances. Numbered 003 as in SQLite, so one id names one change in both
 * adapters (SQLite's 002 has no counterpart here). Instances keep credentials only as ciphertext (the
 * store never sees plaintext); credential_fields holds the field names, which the API may show.
 */
const connectors = /* sql */ `
CREATE TABLE connectors (
  id           text COLLATE "C" PRIMARY KEY,
  company_id   text COLLATE "C" NOT NULL REFERENCES companies (id),
  name         text NOT NULL,
  protocol     text NOT NULL CHECK (protocol IN ('http', 'postgres', 'mysql')),
  base_url     text NOT NULL,
  variables    json NOT NULL,
  auth_methods json NOT NULL,
  endpoints    json NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX connectors_company ON connectors (company_id, id);

CREATE TABLE instances (
  id                     text COLLATE "C" PRIMARY KEY,
  company_id             text COLLATE "C" NOT NULL REFERENCES companies (id),
  connector_id           text COLLATE "C" NOT NULL REFERENCES connectors (id),
  name                   text NOT NULL,
  variables              json NOT NULL,
  auth_method            text,
  credentials_ciphertext text,
  credential_fields      text[] NOT NULL,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL
);
CREATE INDEX instances_company ON instances (company_id, id);
CREATE INDEX instances_connector ON instances (connector_id);
`;

/**
 * The audit log. Append-only: a trigger refuses every UPDATE, DELETE and TRUNCATE, whoever sends it
 * (a retention method that deletes by date will come with its own migration). company_id is NULL for
 * a failed login of an email no account has, and carries no foreign key: entries outlive what they
 * name. The id is time-ordered, so the company index also serves newest-first listing.
 */
const audit = /* sql */ `
CREATE TABLE audit_logs (
  id          text COLLATE "C" PRIMARY KEY,
  company_id  text COLLATE "C",
  actor_type  text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'anonymous')),
  actor_id    text COLLATE "C",
  action      text NOT NULL,
  target_type text,
  target_id   text COLLATE "C",
  outcome     text NOT NULL CHECK (outcome IN ('success', 'failure')),
  address     text,
  data        json,
  created_at  timestamptz NOT NULL
);
CREATE INDEX audit_logs_company ON audit_logs (company_id, id);

CREATE FUNCTION audit_logs_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$fn$;
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change();
`;

/**
 * Webhook secrets, one per flow, kept only as a sha256 hash (the plaintext is shown once). The
 * scheduler needs no table: idempotency keys make each tick's run unique.
 */
const triggers = /* sql */ `
CREATE TABLE flow_webhooks (
  flow_id     text COLLATE "C" PRIMARY KEY REFERENCES flows (id) ON DELETE CASCADE,
  company_id  text COLLATE "C" NOT NULL,
  secret_hash text NOT NULL,
  created_at  timestamptz NOT NULL
);
`;

/**
 * 64 slots per run total instead of 8. Every createRun, claim and finish adds to one run_counts row
 * and holds its lock until the commit's WAL flush; with group-committed journal batches each
 * finishing many runs at once, 8 slots were all held by one batch and the bench showed convoys of
 * 25 sessions waiting on them. Rows already counted in slots 0-7 stay right: totals are sums.
 */
const runCountSlots = /* sql */ `
CREATE OR REPLACE FUNCTION run_counts_add(r runs, delta integer) RETURNS void LANGUAGE sql AS $fn$
  INSERT INTO run_counts AS c (company_id, flow_id, version_id, status, "trigger", slot, runs)
    VALUES (r.company_id, r.flow_id, r.version_id, r.status, r."trigger", (hashtext(r.id) & 63)::smallint, delta)
    ON CONFLICT (company_id, flow_id, version_id, status, "trigger", slot) DO UPDATE SET runs = c.runs + excluded.runs;
$fn$;
`;

export const postgresMigrations: readonly Migration[] = [
  { id: '001_init', sql: init },
  { id: '003_connectors', sql: connectors },
  { id: '004_triggers', sql: triggers },
  { id: '005_audit', sql: audit },
  { id: '006_scripts', sql: scriptsMigration },
  { id: '007_lookup_tables', sql: lookupTablesMigration },
  { id: '008_data', sql: dataMigrationSql },
  { id: '009_notifications', sql: notificationsMigrationSql },
  { id: '010_run_links', sql: runLinksMigrationSql },
  { id: '011_rate_slots_oauth', sql: connectorExtrasMigrationSql },
  { id: '012_runs_by_flow', sql: runsByFlowMigrationSql },
  { id: '013_run_count_slots', sql: runCountSlots },
];
