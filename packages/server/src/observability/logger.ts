import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/index.js';

/**
 * Paths pino blanks out in every log line: request credentials and anything named like a secret.
 * Fastify logs requests as `req` (method, url, host, remote address; headers only when a serializer
 * adds them), so the header paths matter for any line that logs a request or its headers.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-weft-signature"]',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.secret',
  '*.credentials',
  '*.apiKey',
  '*.api_key',
  '*.authorization',
  'password',
  'credentials',
  'authorization',
];

/**
 * The process's JSON logger (pino; Fastify logs every request through it with its request id as
 * `reqId`). `stream` is for tests that read the lines; by default they go to stdout.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, stream?: DestinationStream): Logger {
  const level = config.logLevel === 'silent' && stream !== undefined ? 'info' : config.logLevel;
  const options = {
    level,
    base: { service: 'weft', pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The query string of a webhook carries its secret (`?signature=`): it never reaches a log.
    serializers: {
      req: (req: { method?: string; url?: string; hostname?: string; ip?: string; id?: string }) => ({
        method: req.method,
        url: stripSecrets(req.url),
        host: req.hostname,
        remoteAddress: req.ip,
      }),
      err: pino.stdSerializers.err,
    },
  };
  return stream === undefined ? pino(options) : pino(options, stream);
}

/** The URL with the values of secret-bearing query parameters replaced. */
export function stripSecrets(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  return url.replace(/([?&](?:signature|token|api_key|key|secret|password)=)[^&#]*/gi, '$1[redacted]');
}
