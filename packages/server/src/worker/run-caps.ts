import type { HttpClient } from '@weft/engine';
import { AppError } from '@weft/schema';

/**
 * Per-run caps (outbound requests, payload bytes), counted per run in the worker that advances
 * it. A resumed run starts counting again, so a cap bounds each attempt of a run rather than the
 * sum; the steps cap (counted by the engine) includes journalled steps.
 */

/** The run's view of the outbound client: refuses (not retryable) the request after `max`. 0 lifts the cap. */
export function cappedHttpClient(http: HttpClient, max: number): HttpClient {
  if (max === 0) return http;
  let made = 0;
  return {
    request(req) {
      made++;
      if (made > max) {
        return Promise.reject(
          new AppError(
            'RUN_LIMIT_EXCEEDED',
            `The run reached its limit of ${max} outbound requests (RUN_LIMIT_EXCEEDED); split the work into smaller runs or raise WEFT_RUN_MAX_OUTBOUND_REQUESTS.`,
            { retryable: false },
          ),
        );
      }
      return http.request(req);
    },
    close: () => http.close(),
  };
}

/** Counts bytes of the payloads a run's steps produce; throws (not retryable) past `max`. 0 lifts the cap. */
export function payloadBudget(max: number): { add(bytes: number): void } {
  let used = 0;
  return {
    add(bytes) {
      if (max === 0) return;
      used += bytes;
      if (used > max) {
        throw new AppError(
          'RUN_LIMIT_EXCEEDED',
          `The run produced more than its limit of ${max} payload bytes (RUN_LIMIT_EXCEEDED); split the work into smaller runs or raise WEFT_RUN_MAX_PAYLOAD_BYTES.`,
          { retryable: false },
        );
      }
    },
  };
}
