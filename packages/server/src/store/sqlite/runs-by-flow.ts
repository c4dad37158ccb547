/**
 * Migration 012: a flow's runs newest first without walking the company's other runs. Listing the
 * runs of a flow whose runs are few and old walked runs_company_started past every newer run of
 * the company (5 s with 1 000 000 runs, bench/list-runs.mjs); this index makes it a seek (1 ms).
 * The expression is exactly the list's sort key (runs.ts sortKeys).
 */
export const runsByFlowMigrationSql = `
CREATE INDEX runs_company_flow_started ON runs (company_id, flow_id, coalesce(started_at, '~'), id);
`;
