import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tracing } from './tracing.js';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * A server span per request, continuing an incoming `traceparent`; the request keeps its own
 * traceparent so a run it starts joins the same trace. Added first, so it also covers requests
 * refused by authentication.
 */
export function traceRequests(app: FastifyInstance, tracing: Tracing): void {
  app.addHook('onRequest', async (request) => {
    const incoming = request.headers.traceparent;
    const parent = tracing.extract(typeof incoming === 'string' ? incoming : undefined);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracing.tracer.startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'weft.request.id': request.id } },
      parent,
    );
    spans.set(request, span);
    request.weftTraceparent = tracing.traceparent(trace.setSpan(parent, span));
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    spans.delete(request);
  });
}
