import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { customersToCrm, fixture } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { startSink } from '../test-support/sink.js';

interface ExportedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** A real OTLP/HTTP receiver on 127.0.0.1 that keeps the spans of every JSON export it is sent. */
async function startReceiver() {
  const spans: ExportedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }>;
        };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, contentTypes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('OpenTelemetry traces', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
    await receiver.close();
  });

  it('exports request → run → step → outbound call as one trace, and sends traceparent to the connector target', async () => {
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'], otelEndpoint: receiver.url });
    let runId: string;
    const incomingTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      const h = sys.auth((await sys.register()).token);
      const created = await sys.app.inject({
        method: 'POST',
        url: '/api/v1/flows',
        headers: h,
        payload: { name: 'Traced', definition: customersToCrm(sink.url) },
      });
      const { id: flowId, draft_version_id: versionId } = created.json().data;
      const started = await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flows/${flowId}/manual/${versionId}`,
        headers: { ...h, traceparent: `00-${incomingTrace}-00f067aa0ba902b7-01` },
        payload: { payload: fixture('customers-10.json') },
      });
      runId = started.json().flow_run_id as string;
      expect((await waitForRun(sys.app, h, runId)).status).toBe('success');
    } finally {
      // Closing flushes the batch of spans to the receiver.
      await sys.close();
    }
    const delivered = sink.deliveries.at(-1);
    const traceparent = String(delivered?.headers.traceparent);
    expect(traceparent).toMatch(new RegExp(`^00-${incomingTrace}-[0-9a-f]{16}-01$`));

    const trace = receiver.spans.filter((s) => s.traceId === incomingTrace);
    const byName = (name: string) => trace.find((s) => s.name === name);
    const request = byName('POST /api/v1/flows/:flowId/manual/:versionId');
    const run = byName('run');
    const step = byName('step send');
    const call = byName('HTTP POST');
    expect(request?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(run?.parentSpanId).toBe(request?.spanId);
    expect(byName('step map')?.parentSpanId).toBe(run?.spanId);
    expect(step?.parentSpanId).toBe(run?.spanId);
    expect(call?.parentSpanId).toBe(step?.spanId);
    // The target saw the outbound call's own span as its parent.
    expect(traceparent.split('-')[2]).toBe(call?.spanId);
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
  });

  it('joins a callback run to the caller’s trace, as it does a start', async () => {
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'], otelEndpoint: receiver.url });
    const incomingTrace = '5cf92f3577b34da6a3ce929d0e0e4737';
    try {
      const h = sys.auth((await sys.register()).token);
      const definition = {
        format: 'json' as const,
        steps: [
          { id: 'trigger', shape: 'trigger', config: { callback: { enabled: true } } },
          { id: 'answer', shape: 'callback', config: {} },
        ],
        edges: [{ from: 'trigger', to: 'answer' }],
      };
      const flow = (
        await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'Called back', definition } })
      ).json().data;
      const deployed = await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flow-versions/${flow.draft_version_id}/deploy`,
        headers: h,
        payload: { enable: true },
      });
      const url = new URL(String(deployed.json().callback?.url), 'http://127.0.0.1');
      const answered = await sys.app.inject({
        method: 'POST',
        url: `${url.pathname}${url.search}`,
        headers: { 'content-type': 'application/json', traceparent: `00-${incomingTrace}-00f067aa0ba902b8-01` },
        payload: { hello: 'there' },
      });
      expect(answered.statusCode, answered.body).toBe(200);
    } finally {
      await sys.close();
    }
    const trace = receiver.spans.filter((s) => s.traceId === incomingTrace);
    const request = trace.find((s) => s.name.startsWith('POST /api/v1/callbacks/'));
    const run = trace.find((s) => s.name === 'run');
    expect(request?.parentSpanId).toBe('00f067aa0ba902b8');
    expect(run?.parentSpanId).toBe(request?.spanId);
  });

  it('sends no traceparent and exports nothing when no endpoint is set', async () => {
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'] });
    const before = receiver.spans.length;
    try {
      const h = sys.auth((await sys.register()).token);
      const created = await sys.app.inject({
        method: 'POST',
        url: '/api/v1/flows',
        headers: h,
        payload: { name: 'Untraced', definition: customersToCrm(sink.url) },
      });
      const { id: flowId, draft_version_id: versionId } = created.json().data;
      const started = await sys.app.inject({
        method: 'POST',
        url: `/api/v1/flows/${flowId}/manual/${versionId}`,
        headers: h,
        payload: { payload: fixture('customers-10.json') },
      });
      await waitForRun(sys.app, h, started.json().flow_run_id as string);
    } finally {
      await sys.close();
    }
    expect(sink.deliveries.at(-1)?.headers.traceparent).toBeUndefined();
    expect(receiver.spans.length).toBe(before);
  });

  it('takes only an http(s) URL as the endpoint, naming the setting otherwise', () => {
    expect(loadConfig({ WEFT_OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).otelEndpoint).toBe('http://127.0.0.1:4318');
    expect(loadConfig({ WEFT_OTEL_EXPORTER_OTLP_ENDPOINT: '' }).otelEndpoint).toBeUndefined();
    expect(() => loadConfig({ WEFT_OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' })).toThrow(
      /WEFT_OTEL_EXPORTER_OTLP_ENDPOINT must be an http/,
    );
  });
});
