import { AppError } from '@weft/schema';
import type { LookupRow } from './lookup-types.js';

/** Rules both adapters apply to lookup tables. */
export function lookupNameTaken(name: string): AppError {
  return new AppError('CONFLICT', `A lookup table named ${JSON.stringify(name)} exists already in this company; choose another name.`);
}

/** The first left value given twice, as a VALIDATION_FAILED naming both rows; undefined when all differ. */
export function duplicateLeft(rows: readonly LookupRow[]): AppError | undefined {
  const seen = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const left = rows[i]!.left;
    const first = seen.get(left);
    if (first !== undefined) {
      return new AppError(
        'VALIDATION_FAILED',
        `rows[${i}] repeats the left value ${JSON.stringify(left)} of rows[${first}]; left values must be unique.`,
        {
          details: { [`rows[${i}].left`]: [`repeats the left value of rows[${first}]`] },
        },
      );
    }
    seen.set(left, i);
  }
  return undefined;
}
