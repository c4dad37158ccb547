import { AppError, ERROR_CODES, type ErrorBody, type FieldErrors, isAppError } from '@weft/schema';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Turns ajv's errors into field path → messages, the form of spec/api.md §6. */
export function fieldErrorsFromValidation(
  errors: ReadonlyArray<{ instancePath?: string; keyword: string; params?: Record<string, unknown>; message?: string }>,
  prefix = '',
): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors) {
    let path = (e.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
      .join('')
      .replace(/^\./, '');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') {
      path = path ? `${path}.${e.params.missingProperty}` : e.params.missingProperty;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') {
      path = path ? `${path}.${e.params.additionalProperty}` : e.params.additionalProperty;
      message = `unknown field "${e.params.additionalProperty}"`;
    }
    const key = prefix && path ? `${prefix}.${path}` : prefix || path || 'body';
    // Own keys only: a field named "constructor" or "toString" must not find Object's members.
    const list = Object.hasOwn(out, key) ? (out[key] ?? []) : [];
    if (!list.includes(message)) list.push(message);
    out[key] = list;
  }
  return out;
}

export function errorBody(err: AppError, requestId?: string): ErrorBody {
  const body: ErrorBody = { message: err.message, error: { code: err.code } };
  if (err.details && Object.keys(err.details).length > 0) {
    body.error.details = err.details;
    body.errors = err.details;
  }
  if (requestId && err.status >= 500) body.error.request_id = requestId;
  return body;
}

/** Maps Fastify's own errors (body limit, media type, bad JSON) onto the registry. */
function toAppError(err: FastifyError | Error): AppError {
  if (isAppError(err)) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    const context = fe.validationContext === 'body' ? '' : (fe.validationContext ?? '');
    return new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: fieldErrorsFromValidation(fe.validation, context === 'querystring' ? '' : context),
    });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('BODY_TOO_LARGE', 'The request body is larger than the limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The Content-Type of the request is not supported here.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('BAD_JSON', 'The body is empty but Content-Type says JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('BAD_JSON', `The body is not valid JSON: ${fe.message}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('BODY_TOO_LARGE', 'The Content-Length does not match the body.', { status: 400 });
  }
  if (fe.statusCode === 400 && fe.message) return new AppError('BAD_JSON', fe.message);
  if (fe.statusCode === 413) return new AppError('BODY_TOO_LARGE', 'The request body is larger than the limit.');
  if (fe.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The Content-Type of the request is not supported here.');
  if (/SQLITE_BUSY|SQLITE_IOERR|ECONNREFUSED|database is locked/i.test(fe.message ?? '')) {
    return new AppError('STORAGE_UNAVAILABLE', 'Storage is unavailable; try again shortly.', { cause: err });
  }
  return new AppError('INTERNAL', 'Something went wrong on our side.', { cause: err });
}

export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appErr = toAppError(err);
  if (appErr.kind === 'bug' || appErr.status >= 500) request.log.error({ err }, 'request failed');
  if (appErr.headers) reply.headers(appErr.headers);
  return reply.status(appErr.status).send(errorBody(appErr, request.id));
}

export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} not found.`);
}

export { ERROR_CODES };
