import { AppError, isAppError } from '@weft/schema';

export const MASK = '***';
// Shorter values (a one-digit PIN) would blank out status codes and durations all over the log
// while hiding next to nothing; such credentials are not worth protecting this way anyway.
const MIN_MASKED_CHARS = 3;

/**
 * The secret strings of one step attempt: credential values, and what is derived from them on the
 * way out (a Basic header, a fetched access token). Everything the shape logs or throws passes
 * through mask(), so a secret that an echoing server or a query parameter puts into a URL or a
 * body excerpt never reaches the run log.
 */
export class Secrets {
  private readonly values = new Set<string>();
  private ordered: string[] | undefined = [];

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_MASKED_CHARS) return;
    // A query parameter shows up percent-encoded, and URLSearchParams writes spaces as '+'.
    for (const form of [value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)]) {
      if (form.length >= MIN_MASKED_CHARS) this.values.add(form);
    }
    this.ordered = undefined;
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    // Longest first, so a secret that contains another is replaced whole.
    this.ordered ??= [...this.values].sort((a, b) => b.length - a.length);
    let out = text;
    for (const secret of this.ordered) out = out.split(secret).join(MASK);
    return out;
  }

  /** The error with its message masked; the original is dropped as cause, since its message holds the secret. */
  maskError(err: unknown): unknown {
    const message = err instanceof Error ? err.message : String(err);
    const masked = this.mask(message);
    if (masked === message) return err;
    if (isAppError(err)) return new AppError(err.code, masked, { retryable: err.retryable, status: err.status });
    return new AppError('CONNECTOR_NETWORK_ERROR', masked, { retryable: true });
  }
}
