import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { HttpClient } from '@weft/engine';
import { lazyRequire } from '../lazy-require.js';

// The SDK is loaded when tracing is configured, not at start: untraced processes (the default)
// keep its ~20 MB out of their memory. The API above is tiny and its globals are shared by both
// module builds (keyed by Symbol.for), so the SDK's CommonJS build sees the same context.
const sdk = {
  contextHooks: lazyRequire<typeof import('@opentelemetry/context-async-hooks')>('@opentelemetry/context-async-hooks'),
  core: lazyRequire<typeof import('@opentelemetry/core')>('@opentelemetry/core'),
  exporter: lazyRequire<typeof import('@opentelemetry/exporter-trace-otlp-http')>('@opentelemetry/exporter-trace-otlp-http'),
  resources: lazyRequire<typeof import('@opentelemetry/resources')>('@opentelemetry/resources'),
  traceBase: lazyRequire<typeof import('@opentelemetry/sdk-trace-base')>('@opentelemetry/sdk-trace-base'),
};

/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) when WEFT_OTEL_EXPORTER_OTLP_ENDPOINT is
 * set: HTTP request → run → steps → outbound calls, one trace, with W3C `traceparent` sent to
 * connector targets. Nothing is registered globally but the context manager (one per process,
 * which async context needs); the tracer is handed to whoever makes spans.
 */
export interface Tracing {
  tracer: Tracer;
  /** The `traceparent` of the span active in `ctx`, for a queue job or an outbound request. */
  traceparent(ctx?: Context): string | undefined;
  /** The context a `traceparent` value continues (the root context when absent or malformed). */
  extract(traceparent: string | undefined): Context;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

let contextManagerSet = false;

export function createTracing(options: { endpoint: string; serviceName?: string; flushDelayMs?: number }): Tracing {
  if (!contextManagerSet) {
    // Once per process: a second registration would be refused and the first one keeps working.
    context.setGlobalContextManager(new (sdk.contextHooks().AsyncLocalStorageContextManager)().enable());
    contextManagerSet = true;
  }
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const { BasicTracerProvider, BatchSpanProcessor } = sdk.traceBase();
  const exporter = new (sdk.exporter().OTLPTraceExporter)({ url });
  const provider = new BasicTracerProvider({
    resource: sdk.resources().resourceFromAttributes({ 'service.name': options.serviceName ?? 'weft' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.flushDelayMs ?? 1000 })],
  });
  const propagator = new (sdk.core().W3CTraceContextPropagator)();
  const tracer = provider.getTracer('weft');
  return {
    tracer,
    traceparent(ctx = context.active()) {
      const carrier: Record<string, string> = {};
      propagator.inject(ctx, carrier, defaultTextMapSetter);
      return carrier.traceparent;
    },
    extract(traceparent) {
      if (traceparent === undefined) return ROOT_CONTEXT;
      return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
    },
    async shutdown() {
      await provider.forceFlush().catch(() => {});
      await provider.shutdown().catch(() => {});
    },
  };
}

/**
 * The outbound client with a client span per request and its `traceparent` header, a child of the
 * step span active when the engine calls it.
 */
export function tracedHttpClient(http: HttpClient, tracing: Tracing): HttpClient {
  return {
    async request(req) {
      const url = safeUrl(req.url);
      return tracing.tracer.startActiveSpan(
        `HTTP ${req.method}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { 'http.request.method': req.method, 'server.address': url?.hostname ?? '', 'url.path': url?.pathname ?? '' },
        },
        async (span: Span) => {
          try {
            const headers = { ...req.headers };
            const traceparent = tracing.traceparent(trace.setSpan(context.active(), span));
            if (traceparent !== undefined) headers.traceparent = traceparent;
            const res = await http.request({ ...req, headers });
            span.setAttribute('http.response.status_code', res.status);
            if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            return res;
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
    close: () => http.close(),
  };
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
