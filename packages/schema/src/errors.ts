/**
 * The registry of error codes. Every error the API returns carries one of these codes; the
 * generated error reference (docs/errors.md) is built from this table, so it is the only place
 * a code, its HTTP status and its fix are written down.
 */
export type ErrorKind = 'user' | 'transient' | 'bug';

export interface ErrorCodeInfo {
  status: number;
  kind: ErrorKind;
  /** What the client should do about it, for the generated reference. */
  fix: string;
}

export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 422, kind: 'user', fix: 'Correct the fields listed in `errors` and send the request again.' },
  BAD_JSON: { status: 400, kind: 'user', fix: 'Send a well-formed JSON body (at most 512 levels deep and 1 000 000 keys).' },
  BODY_TOO_LARGE: { status: 413, kind: 'user', fix: 'Send a smaller body; the limit is a server setting (8 MiB by default).' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    kind: 'user',
    fix: 'Send JSON, or on raw endpoints XML, CSV or plain text with a matching Content-Type.',
  },
  UNAUTHENTICATED: { status: 401, kind: 'user', fix: 'Log in again or send a valid API key in the Authorization header.' },
  FORBIDDEN: { status: 403, kind: 'user', fix: 'Ask an administrator for a role that allows this action.' },
  NOT_FOUND: { status: 404, kind: 'user', fix: 'Check the id; objects of other companies are never visible.' },
  CONFLICT: { status: 409, kind: 'user', fix: 'Reload the object; it changed or is in a state that does not allow this.' },
  LAST_ADMINISTRATOR: {
    status: 409,
    kind: 'user',
    fix: 'Make another user of the company an administrator first; a company always keeps at least one.',
  },
  CANNOT_REMOVE_SELF: { status: 409, kind: 'user', fix: 'Ask another administrator to remove your account.' },
  EMAIL_TAKEN: { status: 422, kind: 'user', fix: 'Use another email address or log in with this one.' },
  SIGNUP_CLOSED: { status: 403, kind: 'user', fix: 'Registration is closed on this server; ask an administrator to add you.' },
  FLOW_INVALID: { status: 422, kind: 'user', fix: 'Correct the definition at each path listed in `errors`.' },
  FLOW_DISABLED: { status: 422, kind: 'user', fix: 'Enable the flow, or use the manual endpoint to run it while disabled.' },
  NO_DEPLOYED_VERSION: { status: 422, kind: 'user', fix: 'Deploy a version of the flow, or name a version in the URL.' },
  VERSION_READ_ONLY: { status: 409, kind: 'user', fix: 'Only the draft can be changed; copy this version to the draft first.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, kind: 'user', fix: 'Use a new Idempotency-Key for a different request body.' },
  RUN_NOT_STOPPABLE: { status: 409, kind: 'user', fix: 'The run has already finished.' },
  PAYLOAD_EXPIRED: { status: 404, kind: 'user', fix: 'The payload was removed by retention.' },
  RATE_LIMITED: { status: 429, kind: 'user', fix: 'Wait for the number of seconds in Retry-After and try again.' },
  START_RATE_LIMITED: {
    status: 429,
    kind: 'user',
    fix: "The company's starts per minute are used up; wait for Retry-After seconds, spread the starts out, or ask the operator for a higher limit.",
  },
  WEBHOOK_RATE_LIMITED: {
    status: 429,
    kind: 'user',
    fix: "The company's webhook calls per minute are used up; wait for Retry-After seconds, or ask the operator for a higher limit.",
  },
  QUEUE_FULL: {
    status: 429,
    kind: 'user',
    fix: 'The company has too many runs waiting; wait for Retry-After seconds while they are worked off, or ask the operator for a larger allowance.',
  },
  RUN_LIMIT_EXCEEDED: {
    status: 422,
    kind: 'user',
    fix: 'The run went over a per-run cap (steps, outbound requests or payload bytes); split the work into smaller runs, or ask the operator to raise the cap.',
  },
  STORAGE_UNAVAILABLE: { status: 503, kind: 'transient', fix: 'Try again shortly; the database is not reachable.' },
  STEP_FAILED: { status: 500, kind: 'user', fix: 'See the run log for the step, attempt and reason.' },
  STEP_TIMEOUT: { status: 500, kind: 'transient', fix: 'Raise the step time limit or make the target answer faster.' },
  CONNECTOR_HTTP_ERROR: {
    status: 502,
    kind: 'transient',
    fix: 'The target answered with an unsuccessful status; check the target or allow the status.',
  },
  CONNECTOR_NETWORK_ERROR: { status: 502, kind: 'transient', fix: 'The target could not be reached; check its address and that it is up.' },
  DATABASE_QUERY_FAILED: {
    status: 502,
    kind: 'user',
    fix: "The database refused the endpoint's query; the message quotes the database's reason (syntax, missing table, constraint, login).",
  },
  EGRESS_DENIED: {
    status: 422,
    kind: 'user',
    fix: 'The address is loopback, private, link-local or metadata; add it to WEFT_EGRESS_ALLOW if it is meant.',
  },
  TEMPLATE_ERROR: { status: 422, kind: 'user', fix: 'Check the [[...]] references in the setting; the named value does not exist.' },
  MAP_ERROR: { status: 422, kind: 'user', fix: 'Check the mapping rule and its transforms against the payload.' },
  PAYLOAD_FORMAT_ERROR: { status: 422, kind: 'user', fix: 'The payload could not be parsed in its format; check the data sent.' },
  PAYLOAD_STRUCTURE_ERROR: {
    status: 422,
    kind: 'user',
    fix: 'The step needs structured data (JSON, XML or CSV) with a list or object at its path; check the path against the payload.',
  },
  ASSERTION_FAILED: { status: 422, kind: 'user', fix: 'The payload differs from the expected document; see the differences listed.' },
  SCRIPT_ERROR: {
    status: 422,
    kind: 'user',
    fix: 'The script failed to compile, threw, broke its contract or returned output that is not JSON or too large; see the message and line.',
  },
  SCRIPT_TIMEOUT: {
    status: 422,
    kind: 'user',
    fix: 'The script ran longer than its time limit and was stopped; look for a loop that never ends, or raise timeout_seconds (at most 120).',
  },
  SCRIPT_MEMORY: {
    status: 422,
    kind: 'user',
    fix: 'The script used more memory than its limit and was stopped; process the payload in smaller pieces (flow_control or split).',
  },
  CACHE_FULL: {
    status: 422,
    kind: 'user',
    fix: 'A cache holds at most 50 MB; give entries a ttl, use more specific keys or another cache, or clear it (DELETE /api/v1/caches/{id}).',
  },
  CACHE_MISS: {
    status: 422,
    kind: 'user',
    fix: 'The cache entry is missing or expired; check the cache name, scope and key, or set fail_on_miss to false.',
  },
  SMTP_NOT_CONFIGURED: {
    status: 422,
    kind: 'user',
    fix: 'This server has no SMTP settings; set WEFT_SMTP_URL (and WEFT_SMTP_FROM) and restart, or use the notify channel "log".',
  },
  EMAIL_SEND_FAILED: {
    status: 502,
    kind: 'transient',
    fix: 'The SMTP server refused or could not be reached; check WEFT_SMTP_URL and the server.',
  },
  NOTIFICATION_GROUP_UNKNOWN: {
    status: 422,
    kind: 'user',
    fix: 'Create the notification group (POST /api/v1/notification-groups) or correct the group name in the step.',
  },
  RUN_FLOW_CYCLE: {
    status: 422,
    kind: 'user',
    fix: 'A run_flow step may not start its own flow or one of the flows that started this run; remove the loop.',
  },
  CHILD_RUN_FAILED: {
    status: 422,
    kind: 'user',
    fix: 'A child run started by run_flow failed or stopped; see the child run named in the message, or set on_child_failure.',
  },
  CALLBACK_TIMEOUT: {
    status: 504,
    kind: 'user',
    fix: 'The run did not reach a callback step in time; it goes on, look it up by flow_run_id, or raise callback.timeout_seconds.',
  },
  CALLBACK_NOT_ANSWERED: {
    status: 502,
    kind: 'user',
    fix: 'The run finished without reaching a callback step; see its log by flow_run_id and add a callback step on the path taken.',
  },
  XML_REFUSED: { status: 422, kind: 'user', fix: 'Remove the DOCTYPE, entity declarations and external references from the XML.' },
  INTERNAL: { status: 500, kind: 'bug', fix: 'An unexpected error; report it with the request id.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Field path → messages, the shape Patchworks clients parse from `errors`. */
export type FieldErrors = Record<string, string[]>;

export interface ErrorBody {
  message: string;
  error: { code: ErrorCode; details?: FieldErrors; request_id?: string };
  errors?: FieldErrors;
}

/**
 * The one error type. `retryable` lets the engine decide whether another attempt can help
 * (a 4xx from a target other than 408/429 cannot).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: FieldErrors | undefined;
  readonly retryable: boolean;
  readonly status: number;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: FieldErrors; retryable?: boolean; status?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.retryable = options.retryable ?? ERROR_CODES[code].kind === 'transient';
    this.headers = options.headers;
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
