import { AppError } from '@weft/schema';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** One ISO 8601 date from `filter[field]`, normalised to UTC; VALIDATION_FAILED naming the filter otherwise. */
export function isoDateFilter(values: string[] | undefined, field: string): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  // Date.parse alone takes far more than ISO 8601 (it reads "1" as the year 2001).
  const ms = values.length === 1 && ISO_8601.test(values[0] as string) ? Date.parse(values[0] as string) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { [`filter[${field}]`]: [`must be one ISO 8601 date, got "${values.join(',')}"`] },
    });
  }
  return new Date(ms).toISOString();
}
