/**
 * 006_scripts: company scripts and their versions. A script has exactly one draft and at most one
 * deployed version (partial unique indexes); `compiled` is set once a version is deployed and
 * never changes after.
 */
export const scriptsMigration = /* sql */ `
CREATE TABLE scripts (
  id              TEXT PRIMARY KEY,
  company_id      TEXT NOT NULL REFERENCES companies (id),
  name            TEXT NOT NULL,
  language        TEXT NOT NULL CHECK (language IN ('javascript', 'typescript')),
  description     TEXT NOT NULL,
  draft_number    INTEGER NOT NULL,
  deployed_number INTEGER,
  deployed_at     TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX scripts_company_name ON scripts (company_id, name);

CREATE TABLE script_versions (
  script_id   TEXT NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
  company_id  TEXT NOT NULL,
  number      INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('draft', 'deployed', 'inactive')),
  source      TEXT NOT NULL,
  compiled    TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  deployed_at TEXT,
  PRIMARY KEY (script_id, number)
);
CREATE UNIQUE INDEX script_versions_one_draft ON script_versions (script_id) WHERE status = 'draft';
CREATE UNIQUE INDEX script_versions_one_deployed ON script_versions (script_id) WHERE status = 'deployed';
`;

/**
 * 007_lookup_tables: cross-reference lookup tables (two columns, left and right, rows in order).
 * A left value is unique within its table; right values may repeat (right→left takes the first row).
 */
export const lookupTablesMigration = /* sql */ `
CREATE TABLE lookup_tables (
  id          TEXT PRIMARY KEY,
  company_id  TEXT NOT NULL REFERENCES companies (id),
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX lookup_tables_company_name ON lookup_tables (company_id, name);

CREATE TABLE lookup_rows (
  table_id    TEXT NOT NULL REFERENCES lookup_tables (id) ON DELETE CASCADE,
  company_id  TEXT NOT NULL,
  position    INTEGER NOT NULL,
  left_value  TEXT NOT NULL,
  right_value TEXT NOT NULL,
  PRIMARY KEY (table_id, position)
);
CREATE UNIQUE INDEX lookup_rows_left ON lookup_rows (table_id, left_value);
CREATE INDEX lookup_rows_right ON lookup_rows (table_id, right_value, position);
`;
