/**
 * Migration 012: a flow's runs newest first without walking the company's other runs (see
 * sqlite/runs-by-flow.ts). NULLs sort as PostgreSQL does in runs_company_started.
 */
export const runsByFlowMigrationSql = `
CREATE INDEX runs_company_flow_started ON runs (company_id, flow_id, started_at, id);
`;
