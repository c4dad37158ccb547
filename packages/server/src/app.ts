import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { AppError } from '@weft/schema';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { FullAuthService } from './auth/service.js';
import { type Access, type AuthContext, allows } from './auth/types.js';
import type { Config } from './config/index.js';
import { handleError } from './http/errors.js';
import { parseJsonBody } from './http/json-body.js';
import { registerRoutes } from './http/routes.js';
import { PAYLOAD_BYTES_FROM, PayloadBytes, readPayloadString } from './http/start/payload-bytes.js';
import { traceRequests } from './observability/http-tracing.js';
import { createLogger } from './observability/logger.js';
import type { Queue } from './queue/types.js';
import type { Store } from './store/types.js';

export interface AppDeps {
  store: Store;
  queue: Queue;
  auth: FullAuthService;
  /** Live run events for server-sent events; the worker publishes, the API subscribes. */
  events: import('./worker/run-events.js').RunEvents;
  metrics?: import('./observability/metrics.js').Metrics;
  /** Per-company start and webhook admission (rates, queued allowance); none means unlimited. */
  limits?: import('./limits/limits.js').Limits;
  /** The JSON logger (pino); by default one on stdout at config.logLevel. */
  logger?: import('pino').Logger;
  /** Spans for requests (and a traceparent for the runs they start) when tracing is on. */
  tracing?: import('./observability/tracing.js').Tracing;
}

export interface RouteEntry {
  method: string;
  url: string;
  access: Access | false | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    weftRoutes: RouteEntry[];
  }
  interface FastifyRequest {
    auth: AuthContext;
    /** W3C trace context of this request's span, when tracing is on; queue jobs carry it to the run. */
    weftTraceparent: string | undefined;
  }
  interface FastifyContextConfig {
    /** false: public route. Otherwise the access the caller needs. Every route must say. */
    access?: Access | false;
    /** A large body of just {"payload": "…"} arrives as PayloadBytes, the payload's bytes (http/start/payload-bytes.ts). */
    payloadAsBytes?: boolean;
  }
}

/** The raw start endpoints accept these besides JSON; everywhere else they are refused with 415. */
export const RAW_CONTENT_TYPES = ['application/xml', 'text/xml', 'text/csv', 'text/plain'];

/** Builds the HTTP app without listening, so tests drive it with inject(). */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? (config.logLevel === 'silent' ? undefined : createLogger(config));
  const app = Fastify({
    // Typed as Fastify's base logger: the app's type stays the one every route module takes.
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger as FastifyBaseLogger }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } },
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    handleError(new AppError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`), request, reply),
  );

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      const bytes = body as Buffer;
      // The standard start endpoints take a large payload as bytes, never as two big strings.
      if (bytes.length >= PAYLOAD_BYTES_FROM && req.routeOptions.config?.payloadAsBytes === true) {
        const payload = readPayloadString(bytes);
        if (payload !== undefined) return done(null, new PayloadBytes(payload));
      }
      done(null, parseJsonBody(bytes.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(RAW_CONTENT_TYPES, { parseAs: 'buffer' }, (req, body, done) => {
    // A route with a JSON body schema would validate these bytes as if they were its object (and
    // misreport them); it gets 415. Routes that read bytes (raw starts, CSV imports) have none.
    if (req.routeOptions.schema?.body !== undefined) {
      done(new AppError('UNSUPPORTED_MEDIA_TYPE', `This endpoint takes application/json, not ${req.headers['content-type']}.`), undefined);
      return;
    }
    done(null, body);
  });

  // Bodies are taken as sent: a compressed one would be inflated past the body limit (a gzip bomb),
  // so any Content-Encoding but identity is refused before a byte is read.
  app.addHook('preParsing', async (request) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity' && encoding.trim() !== '') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not supported; send the body uncompressed.`);
    }
  });
  app.decorateRequest('auth', null as unknown as AuthContext);
  app.decorateRequest('weftTraceparent', undefined);
  if (deps.tracing) traceRequests(app, deps.tracing);
  // The route table with each route's access, for the roles-and-tenancy matrix test.
  const routeTable: RouteEntry[] = [];
  app.decorate('weftRoutes', routeTable);
  app.addHook('onRoute', (route) => {
    // The reference UI's own routes (pages and assets) are public, as the document is.
    if (route.url.startsWith('/api/docs')) route.config = { ...(route.config ?? {}), access: false };
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routeTable.push({ method, url: route.url, access: (route.config as { access?: Access | false } | undefined)?.access });
    }
  });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeHttp(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    });
  }
  // Credentials are checked as soon as the route is known, before the body is read or validated,
  // so an unauthenticated caller cannot make the server parse anything.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === false) return;
    if (access === undefined) {
      // A route that forgot to declare its access is closed, not open.
      if (request.routeOptions.url === undefined) return;
      throw new AppError('INTERNAL', `route ${request.routeOptions.url} declares no access`);
    }
    request.auth = await deps.auth.authenticate(request.headers.authorization);
    if (!allows(request.auth.role, access)) throw new AppError('FORBIDDEN', 'Your role does not allow this action.');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Weft API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  await registerRoutes(app, config, deps);

  app.get('/api/v1/openapi.json', { config: { access: false }, schema: { hide: true } }, async () => app.swagger());
  return app;
}
