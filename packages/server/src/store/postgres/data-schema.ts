/** Migration 008_data (PostgreSQL): caches, data pools and tracked data; see sqlite/data-schema.ts. */
export const dataMigrationSql = /* sql */ `
CREATE TABLE caches (
  id          text COLLATE "C" PRIMARY KEY,
  company_id  text COLLATE "C" NOT NULL,
  name        text COLLATE "C" NOT NULL,
  scope       text NOT NULL CHECK (scope IN ('run', 'flow', 'company')),
  scope_id    text COLLATE "C" NOT NULL,
  entries     integer NOT NULL DEFAULT 0,
  bytes       bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX caches_address ON caches (company_id, name, scope, scope_id);
CREATE INDEX caches_company ON caches (company_id, id);

CREATE TABLE cache_entries (
  cache_id    text COLLATE "C" NOT NULL REFERENCES caches (id) ON DELETE CASCADE,
  key         text COLLATE "C" NOT NULL,
  format      text NOT NULL,
  body        bytea NOT NULL,
  meta        json NOT NULL,
  bytes       integer NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  expires_at  timestamptz,
  PRIMARY KEY (cache_id, key)
);
CREATE INDEX cache_entries_expiry ON cache_entries (cache_id, expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE cache_appends (
  cache_id    text COLLATE "C" NOT NULL REFERENCES caches (id) ON DELETE CASCADE,
  op_key      text COLLATE "C" NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (cache_id, op_key)
);

CREATE TABLE data_pools (
  id          text COLLATE "C" PRIMARY KEY,
  company_id  text COLLATE "C" NOT NULL,
  name        text COLLATE "C" NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX data_pools_name ON data_pools (company_id, name);

CREATE TABLE data_pool_values (
  pool_id     text COLLATE "C" NOT NULL REFERENCES data_pools (id) ON DELETE CASCADE,
  value       text COLLATE "C" NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  first_key   text COLLATE "C" NOT NULL,
  renewed     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (pool_id, value)
);
CREATE INDEX data_pool_values_last_seen ON data_pool_values (pool_id, last_seen);
CREATE INDEX data_pool_values_first_seen ON data_pool_values (pool_id, first_seen);

CREATE TABLE tracked_data (
  id          text COLLATE "C" PRIMARY KEY,
  company_id  text COLLATE "C" NOT NULL,
  entity      text COLLATE "C" NOT NULL,
  value       text COLLATE "C" NOT NULL,
  flow_id     text COLLATE "C" NOT NULL,
  run_id      text COLLATE "C" NOT NULL,
  step_id     text NOT NULL,
  item_key    text COLLATE "C" NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX tracked_data_once ON tracked_data (run_id, item_key, entity, value);
CREATE INDEX tracked_data_entity_value ON tracked_data (company_id, entity, value, id);
CREATE INDEX tracked_data_value ON tracked_data (company_id, value, id);
CREATE INDEX tracked_data_company ON tracked_data (company_id, id);
`;
