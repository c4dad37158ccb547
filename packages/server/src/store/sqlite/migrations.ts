import { connectorExtrasMigrationSql } from '../connector-extras-types.js';
import { dataMigrationSql } from './data-schema.js';
import { lookupTablesMigration, scriptsMigration } from './migrations-scripts.js';
import { notificationsMigrationSql, runLinksMigrationSql } from './notifications.js';
import { runsByFlowMigrationSql } from './runs-by-flow.js';
/**
 * The SQLite schema as numbered migrations, applied in order and recorded in schema_migrations.
 * They live in a TS module rather than .sql files so the build output carries them without a
 * copy step. Never edit a migration that has shipped: add the next number.
 */
export interface Migration {
  id: string;
  sql: string;
}

const init = /* sql */ `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE companies (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- email is stored lowercased, so the plain unique index makes it unique case-insensitively.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  company_id    TEXT NOT NULL REFERENCES companies (id),
  name          TEXT NOT NULL,
  email         TEXT NOT NULL UNIQUE,
  role          TEXT NOT NULL CHECK (role IN ('administrator', 'manager', 'user', 'read_only')),
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
CREATE INDEX users_company ON users (company_id, id);

CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  company_id TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  company_id   TEXT NOT NULL REFERENCES companies (id),
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);
CREATE INDEX api_keys_company ON api_keys (company_id, created_at);

-- draft_version_id / deployed_version_id are kept by the same transactions that change version
-- statuses; a foreign key would be circular with flow_versions.flow_id.
CREATE TABLE flows (
  id                  TEXT PRIMARY KEY,
  company_id          TEXT NOT NULL REFERENCES companies (id),
  name                TEXT NOT NULL,
  description         TEXT NOT NULL,
  enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  priority            INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
  labels              TEXT NOT NULL,
  draft_version_id    TEXT NOT NULL,
  deployed_version_id TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX flows_company ON flows (company_id, id);

CREATE TABLE flow_versions (
  id          TEXT PRIMARY KEY,
  company_id  TEXT NOT NULL,
  flow_id     TEXT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
  number      INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('draft', 'deployed', 'inactive')),
  definition  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  deployed_at TEXT,
  UNIQUE (flow_id, number)
);
-- The database itself refuses a second draft or a second deployed version of a flow.
CREATE UNIQUE INDEX flow_versions_one_draft ON flow_versions (flow_id) WHERE status = 'draft';
CREATE UNIQUE INDEX flow_versions_one_deployed ON flow_versions (flow_id) WHERE status = 'deployed';

-- flow_id / version_id carry no foreign key: runs outlive a deleted flow until retention.
-- queued_at and the id come from one clock reading, so ordering by id is ordering by queued_at.
-- WITHOUT ROWID: the table is the id b-tree itself, one b-tree fewer to write per commit.
-- Indexes are few on purpose: each costs a page write on every commit that touches it.
CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  company_id       TEXT NOT NULL REFERENCES companies (id),
  flow_id          TEXT NOT NULL,
  version_id       TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failure', 'partial_success', 'stopped')),
  "trigger"        TEXT NOT NULL,
  priority         INTEGER NOT NULL,
  expedite         INTEGER NOT NULL,
  input_payload_id TEXT,
  variables        TEXT NOT NULL,
  parent_run_id    TEXT,
  retry_of_run_id  TEXT,
  stop_requested   INTEGER NOT NULL DEFAULT 0,
  error            TEXT,
  steps_completed  INTEGER NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  queued_at        TEXT NOT NULL,
  started_at       TEXT,
  finished_at      TEXT,
  lease_owner      TEXT,
  lease_expires_at TEXT
) WITHOUT ROWID;
CREATE INDEX runs_company_queued ON runs (company_id, id);
-- A run that has not started (finished) yet sorts as later than every one that has, as
-- PostgreSQL orders NULLs; '~' sorts after every ISO timestamp. The list queries order by
-- exactly these expressions so SQLite walks the index instead of sorting.
CREATE INDEX runs_company_started ON runs (company_id, coalesce(started_at, '~'), id);
CREATE INDEX runs_company_finished ON runs (company_id, coalesce(finished_at, '~'), id);
CREATE INDEX runs_company_flow ON runs (company_id, flow_id, id);
-- Partial: only the few runs waiting or running are in them, however many runs are stored.
-- runs_running also answers the per-company count of running runs.
CREATE INDEX runs_queued ON runs (id) WHERE status = 'queued';
CREATE INDEX runs_running ON runs (lease_expires_at, company_id) WHERE status = 'running';

-- Run totals per flow, version, status and trigger, kept by triggers whoever inserts, updates or
-- deletes runs: the total of a list must not mean counting a million rows. Only the status of a
-- run ever changes.
CREATE TABLE run_counts (
  company_id TEXT NOT NULL,
  flow_id    TEXT NOT NULL,
  version_id TEXT NOT NULL,
  status     TEXT NOT NULL,
  "trigger"  TEXT NOT NULL,
  runs       INTEGER NOT NULL,
  PRIMARY KEY (company_id, flow_id, version_id, status, "trigger")
) WITHOUT ROWID;
CREATE TRIGGER runs_counted AFTER INSERT ON runs BEGIN
  INSERT INTO run_counts (company_id, flow_id, version_id, status, "trigger", runs)
    VALUES (new.company_id, new.flow_id, new.version_id, new.status, new."trigger", 1)
    ON CONFLICT DO UPDATE SET runs = runs + 1;
END;
CREATE TRIGGER runs_recounted AFTER UPDATE OF status ON runs WHEN old.status <> new.status BEGIN
  UPDATE run_counts SET runs = runs - 1
    WHERE company_id = old.company_id AND flow_id = old.flow_id AND version_id = old.version_id
      AND status = old.status AND "trigger" = old."trigger";
  INSERT INTO run_counts (company_id, flow_id, version_id, status, "trigger", runs)
    VALUES (new.company_id, new.flow_id, new.version_id, new.status, new."trigger", 1)
    ON CONFLICT DO UPDATE SET runs = runs + 1;
END;
CREATE TRIGGER runs_uncounted AFTER DELETE ON runs BEGIN
  UPDATE run_counts SET runs = runs - 1
    WHERE company_id = old.company_id AND flow_id = old.flow_id AND version_id = old.version_id
      AND status = old.status AND "trigger" = old."trigger";
END;

-- The journal: one row per completed step execution (item). seq is the run's count of recorded
-- steps at the time, so the order recorded is kept without a second b-tree.
CREATE TABLE step_results (
  run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  item_key    TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  step_id     TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('success', 'failure')),
  outputs     TEXT NOT NULL,
  variables   TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  PRIMARY KEY (run_id, item_key)
) WITHOUT ROWID;

CREATE TABLE run_logs (
  id              INTEGER PRIMARY KEY,
  run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_id         TEXT,
  step_name       TEXT,
  level           TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
  message         TEXT NOT NULL,
  attempt         INTEGER,
  duration_ms     INTEGER,
  payload_ids_in  TEXT NOT NULL,
  payload_ids_out TEXT NOT NULL,
  data            TEXT,
  created_at      TEXT NOT NULL
);
CREATE INDEX run_logs_run ON run_logs (run_id, id);

-- body holds the bytes of small payloads; NULL means they are in the file named by sha256
-- under the payload directory. run_id carries no foreign key: payload retention is its own.
CREATE TABLE payloads (
  id         TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES companies (id),
  run_id     TEXT,
  format     TEXT NOT NULL CHECK (format IN ('json', 'xml', 'csv', 'text')),
  meta       TEXT NOT NULL,
  bytes      INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  body       BLOB,
  created_at TEXT NOT NULL
);
-- Retention asks whether any other row still needs a file before removing it.
CREATE INDEX payloads_file ON payloads (sha256) WHERE body IS NULL;

CREATE TABLE idempotency_keys (
  company_id   TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  PRIMARY KEY (company_id, key)
) WITHOUT ROWID;
`;

/**
 * Every read of a flow counts its versions, and listVersions walks them: without an index on
 * flow_id both scanned every version of every flow (on the start path, once per start).
 */
const flowVersionsByFlow = /* sql */ `
CREATE INDEX flow_versions_flow ON flow_versions (flow_id, number);
`;

/**
 * Connectors and their instances. Instances keep credentials only as ciphertext (the store never
 * sees plaintext); credential_fields holds the field names, which the API may show. Deleting a
 * connector that instances use is refused, which the foreign key also enforces.
 */
const connectors = /* sql */ `
CREATE TABLE connectors (
  id           TEXT PRIMARY KEY,
  company_id   TEXT NOT NULL REFERENCES companies (id),
  name         TEXT NOT NULL,
  protocol     TEXT NOT NULL CHECK (protocol IN ('http', 'postgres', 'mysql')),
  base_url     TEXT NOT NULL,
  variables    TEXT NOT NULL,
  auth_methods TEXT NOT NULL,
  endpoints    TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX connectors_company ON connectors (company_id, id);

CREATE TABLE instances (
  id                     TEXT PRIMARY KEY,
  company_id             TEXT NOT NULL REFERENCES companies (id),
  connector_id           TEXT NOT NULL REFERENCES connectors (id),
  name                   TEXT NOT NULL,
  variables              TEXT NOT NULL,
  auth_method            TEXT,
  credentials_ciphertext TEXT,
  credential_fields      TEXT NOT NULL,
  created_at             TEXT NOT NULL,
  updated_at             TEXT NOT NULL
);
CREATE INDEX instances_company ON instances (company_id, id);
CREATE INDEX instances_connector ON instances (connector_id);
`;

/**
 * The audit log. Append-only: the triggers refuse every UPDATE and DELETE, whoever sends it (a
 * retention method that deletes by date will come with its own migration). company_id is NULL for
 * a failed login of an email no account has, and carries no foreign key: entries outlive what
 * they name. The id is time-ordered, so the company index also serves newest-first listing.
 */
const audit = /* sql */ `
CREATE TABLE audit_logs (
  id          TEXT PRIMARY KEY,
  company_id  TEXT,
  actor_type  TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'anonymous')),
  actor_id    TEXT,
  action      TEXT NOT NULL,
  target_type TEXT,
  target_id   TEXT,
  outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  address     TEXT,
  data        TEXT,
  created_at  TEXT NOT NULL
);
CREATE INDEX audit_logs_company ON audit_logs (company_id, id);
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs BEGIN
  SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs BEGIN
  SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
`;

/**
 * Webhook secrets, one per flow, kept only as a sha256 hash (the plaintext is shown once). The
 * scheduler needs no table: idempotency keys make each tick's run unique.
 */
const triggers = /* sql */ `
CREATE TABLE flow_webhooks (
  flow_id     TEXT PRIMARY KEY REFERENCES flows (id) ON DELETE CASCADE,
  company_id  TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
`;

export const sqliteMigrations: readonly Migration[] = [
  { id: '001_init', sql: init },
  { id: '002_flow_versions_flow', sql: flowVersionsByFlow },
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
];
