import type { Page, PageResult } from './types.js';

/**
 * A cross-reference lookup table (spec/flows.md §4, the `lookup` transform): rows of a left and a
 * right value, in order. Left values are unique within a table; right values may repeat, and a
 * right→left lookup takes the first row that has the value.
 */
export interface LookupTable {
  id: string;
  companyId: string;
  /** Unique within the company; `lookup` transforms name it. */
  name: string;
  description: string;
  rowCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface LookupRow {
  left: string;
  right: string;
}

export interface LookupTableInput {
  name: string;
  description: string;
  rows: LookupRow[];
}

/** The store's part for /api/v1/lookup-tables and the `lookup` transform. */
export interface LookupStoreMethods {
  /**
   * Creates the table with its rows. Throws AppError CONFLICT when the name is taken in the
   * company, VALIDATION_FAILED when two rows share a left value.
   */
  createLookupTable(companyId: string, input: LookupTableInput): Promise<LookupTable>;
  getLookupTable(companyId: string, tableId: string): Promise<LookupTable | undefined>;
  /** Ordered by name. */
  listLookupTables(companyId: string, page: Page): Promise<PageResult<LookupTable>>;
  /** Throws AppError CONFLICT when the new name is taken. */
  updateLookupTable(companyId: string, tableId: string, patch: { name?: string; description?: string }): Promise<LookupTable | undefined>;
  deleteLookupTable(companyId: string, tableId: string): Promise<boolean>;
  /** The rows in order; undefined for an unknown table. */
  listLookupRows(companyId: string, tableId: string, page: Page): Promise<PageResult<LookupRow> | undefined>;
  /** Replaces every row in one transaction. Throws VALIDATION_FAILED when two rows share a left value. */
  replaceLookupRows(companyId: string, tableId: string, rows: LookupRow[]): Promise<LookupTable | undefined>;
  /**
   * Adds rows, or sets the right value of rows whose left value exists (they keep their place),
   * in one transaction. A left value given twice: the last one wins.
   */
  upsertLookupRows(companyId: string, tableId: string, rows: LookupRow[]): Promise<LookupTable | undefined>;
  /** Removes the rows with these left values (unknown ones are ignored). */
  deleteLookupRows(companyId: string, tableId: string, lefts: string[]): Promise<LookupTable | undefined>;
  /** Every row of the company's table named `name`, in order, for the engine; undefined when there is no such table. */
  loadLookupRows(companyId: string, name: string): Promise<LookupRow[] | undefined>;
}
