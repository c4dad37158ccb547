/** 006_scripts, as sqlite/migrations-scripts.ts has it, in this dialect. */
export const scriptsMigration = /* sql */ `
CREATE TABLE scripts (
  id              text COLLATE "C" PRIMARY KEY,
  company_id      text COLLATE "C" NOT NULL REFERENCES companies (id),
  name            text NOT NULL,
  language        text NOT NULL CHECK (language IN ('javascript', 'typescript')),
  description     text NOT NULL,
  draft_number    integer NOT NULL,
  deployed_number integer,
  deployed_at     timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX scripts_company_name ON scripts (company_id, name);

CREATE TABLE script_versions (
  script_id   text COLLATE "C" NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
  company_id  text COLLATE "C" NOT NULL,
  number      integer NOT NULL,
  status      text NOT NULL CHECK (status IN ('draft', 'deployed', 'inactive')),
  source      text NOT NULL,
  compiled    text,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deployed_at timestamptz,
  PRIMARY KEY (script_id, number)
);
CREATE UNIQUE INDEX script_versions_one_draft ON script_versions (script_id) WHERE status = 'draft';
CREATE UNIQUE INDEX script_versions_one_deployed ON script_versions (script_id) WHERE status = 'deployed';
`;

/** 007_lookup_tables, as sqlite/migrations-scripts.ts has it, in this dialect. */
export const lookupTablesMigration = /* sql */ `
CREATE TABLE lookup_tables (
  id          text COLLATE "C" PRIMARY KEY,
  company_id  text COLLATE "C" NOT NULL REFERENCES companies (id),
  name        text NOT NULL,
  description text NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX lookup_tables_company_name ON lookup_tables (company_id, name);

CREATE TABLE lookup_rows (
  table_id    text COLLATE "C" NOT NULL REFERENCES lookup_tables (id) ON DELETE CASCADE,
  company_id  text COLLATE "C" NOT NULL,
  position    integer NOT NULL,
  left_value  text NOT NULL,
  right_value text NOT NULL,
  PRIMARY KEY (table_id, position)
);
CREATE UNIQUE INDEX lookup_rows_left ON lookup_rows (table_id, left_value);
CREATE INDEX lookup_rows_right ON lookup_rows (table_id, right_value, position);
`;
