/**
 * Migration 008_data (SQLite): caches, data pools and tracked data. Kept in its own module so
 * migrations.ts only lists it.
 */
export const dataMigrationSql = /* sql */ `
CREATE TABLE caches (
  id          TEXT PRIMARY KEY,
  company_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  scope       TEXT NOT NULL CHECK (scope IN ('run', 'flow', 'company')),
  scope_id    TEXT NOT NULL,
  entries     INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX caches_address ON caches (company_id, name, scope, scope_id);
CREATE INDEX caches_company ON caches (company_id, id);

CREATE TABLE cache_entries (
  cache_id    TEXT NOT NULL REFERENCES caches (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  format      TEXT NOT NULL,
  body        BLOB NOT NULL,
  meta        TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  expires_at  TEXT,
  PRIMARY KEY (cache_id, key)
);
CREATE INDEX cache_entries_expiry ON cache_entries (cache_id, expires_at) WHERE expires_at IS NOT NULL;

-- Appends already applied, so a retried step appends once.
CREATE TABLE cache_appends (
  cache_id    TEXT NOT NULL REFERENCES caches (id) ON DELETE CASCADE,
  op_key      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (cache_id, op_key)
) WITHOUT ROWID;

CREATE TABLE data_pools (
  id          TEXT PRIMARY KEY,
  company_id  TEXT NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX data_pools_name ON data_pools (company_id, name);

-- first_key: the step execution that first recorded the value (a retry of it sees the value as new again).
CREATE TABLE data_pool_values (
  pool_id     TEXT NOT NULL REFERENCES data_pools (id) ON DELETE CASCADE,
  value       TEXT NOT NULL,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL,
  first_key   TEXT NOT NULL,
  PRIMARY KEY (pool_id, value)
) WITHOUT ROWID;
CREATE INDEX data_pool_values_last_seen ON data_pool_values (pool_id, last_seen);
CREATE INDEX data_pool_values_first_seen ON data_pool_values (pool_id, first_seen);

CREATE TABLE tracked_data (
  id          TEXT PRIMARY KEY,
  company_id  TEXT NOT NULL,
  entity      TEXT NOT NULL,
  value       TEXT NOT NULL,
  flow_id     TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  step_id     TEXT NOT NULL,
  item_key    TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX tracked_data_once ON tracked_data (run_id, item_key, entity, value);
CREATE INDEX tracked_data_entity_value ON tracked_data (company_id, entity, value, id);
CREATE INDEX tracked_data_value ON tracked_data (company_id, value, id);
CREATE INDEX tracked_data_company ON tracked_data (company_id, id);
`;
