import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCredentialCipher } from '../crypto/credentials.js';
import { LocalQueue } from '../queue/local/local-queue.js';
import type { Run } from '../store/types.js';
import { openStore } from '../system.js';
import { CANARY } from '../test-support/canary.js';
import { createConnector, createInstance, deployFlow } from '../test-support/connector-flows.js';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';
import { createEventConsumers } from './event-consumers.js';

const BROKER = 'amqp://127.0.0.1:5672/%2F';
const WRONG_PASSWORD = `not-the-guest-password-${CANARY}`;

/** Collects the system's JSON log lines so tests can look for the refusal lines. */
function logSink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function eventFlow(event: Record<string, unknown>) {
  return {
    format: 'json',
    steps: [
      { id: 'trigger', shape: 'trigger', config: { event } },
      { id: 'keep', shape: 'set_variables', config: { meta: { seen: 'yes' } } },
    ],
    edges: [{ from: 'trigger', to: 'keep' }],
  };
}

describe('a RabbitMQ event trigger', () => {
  let sys: TestSystem;
  let h: Record<string, string>;
  let companyId: string;
  let brokerInstance: string;
  let badLoginInstance: string;
  let broker: ChannelModel;
  let channel: Channel;
  const queues: string[] = [];
  const logs = logSink();

  async function newQueue(options: Record<string, unknown> = {}): Promise<string> {
    const name = `weft-test-${randomUUID()}`;
    await channel.assertQueue(name, { durable: false, ...options });
    queues.push(name);
    return name;
  }

  async function runsOf(flowId: string): Promise<Run[]> {
    return (await sys.store.listRuns(companyId, { flowId: [flowId] }, 'queued_at', { page: 1, perPage: 100 })).rows;
  }

  async function inputOf(run: Run): Promise<{ body: string; format: string; meta: Record<string, string> }> {
    const [payload] = await sys.store.loadPayloads(run.id, [run.inputPayloadId!]);
    return { body: payload!.body.toString('utf8'), format: payload!.format, meta: payload!.meta };
  }

  beforeAll(async () => {
    broker = await amqp.connect(BROKER);
    channel = await broker.createChannel();
    sys = await createTestSystem({ egressAllow: ['127.0.0.1'], logLevel: 'warn' }, { logStream: logs.stream });
    const user = await sys.register();
    companyId = user.companyId;
    h = sys.auth(user.token);
    const connectorId = await createConnector(sys, h, {
      name: 'RabbitMQ login',
      protocol: 'http',
      base_url: 'http://broker.invalid',
      auth_methods: [{ type: 'basic' }],
    });
    brokerInstance = await createInstance(sys, h, {
      connector_id: connectorId,
      name: 'Broker',
      auth_method: 'basic',
      credentials: { username: 'guest', password: 'guest' },
    });
    badLoginInstance = await createInstance(sys, h, {
      connector_id: connectorId,
      name: 'Broker, wrong password',
      auth_method: 'basic',
      credentials: { username: 'guest', password: WRONG_PASSWORD },
    });
  });
  afterAll(async () => {
    await sys?.close();
    for (const q of queues) await channel.deleteQueue(q).catch(() => {});
    await broker?.close();
  });

  it('starts one run per message with its body as the payload, and acknowledges it once the run is committed', async () => {
    const queue = await newQueue();
    const flowId = await deployFlow(sys, h, 'Orders from RabbitMQ', eventFlow({ url: BROKER, instance: brokerInstance, queue }));
    await sys.system.eventConsumers!.sync();
    expect(sys.system.eventConsumers!.active()).toContain(flowId);

    channel.sendToQueue(queue, Buffer.from(JSON.stringify({ order: 'A-1' })), { contentType: 'application/json', messageId: 'm-1' });
    channel.sendToQueue(queue, Buffer.from('id,total\n7,3\n'), { contentType: 'text/csv', messageId: 'm-2' });
    const runs = await eventually(
      () => runsOf(flowId),
      (r) => r.length === 2,
      'two runs',
    );
    expect(runs.map((r) => r.trigger)).toEqual(['event', 'event']);
    const inputs = await Promise.all(runs.map(inputOf));
    expect(inputs.map((i) => [i.format, i.body]).sort()).toEqual([
      ['csv', 'id,total\n7,3\n'],
      ['json', '{"order":"A-1"}'],
    ]);
    expect(inputs.find((i) => i.format === 'json')?.meta).toMatchObject({ amqp_queue: queue, amqp_message_id: 'm-1' });
    await eventually(
      async () => (await runsOf(flowId)).map((r) => r.status),
      (s) => s.every((x) => x === 'success'),
      'runs to finish',
    );
    // Acknowledged: with the consumer gone, nothing comes back to the queue.
    await sys.system.eventConsumers!.stop();
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    sys.system.eventConsumers!.start();
  });

  it('starts one run for a message delivered twice with the same message id', async () => {
    const queue = await newQueue();
    const flowId = await deployFlow(sys, h, 'Idempotent', eventFlow({ url: BROKER, instance: brokerInstance, queue }));
    await sys.system.eventConsumers!.sync();
    const body = Buffer.from('{"n":1}');
    channel.sendToQueue(queue, body, { contentType: 'application/json', messageId: 'same' });
    channel.sendToQueue(queue, body, { contentType: 'application/json', messageId: 'same' });
    channel.sendToQueue(queue, Buffer.from('{"n":2}'), { contentType: 'application/json', messageId: 'other' });
    await eventually(
      () => runsOf(flowId),
      (r) => r.length === 2,
      'two runs',
    );
    await eventually(
      async () => (await channel.checkQueue(queue)).messageCount,
      (n) => n === 0,
      'an empty queue',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await runsOf(flowId)).toHaveLength(2);
  });

  it('moves a malformed message to the dead-letter queue with the reason, and starts no run', async () => {
    const queue = await newQueue();
    const dead = await newQueue();
    const flowId = await deployFlow(sys, h, 'Dead letters', eventFlow({ url: BROKER, queue, dead_letter_queue: dead }));
    await sys.system.eventConsumers!.sync();
    channel.sendToQueue(queue, Buffer.from('{"broken":'), { contentType: 'application/json', messageId: 'bad-1' });
    const message = await eventually(
      () => channel.get(dead, { noAck: true }),
      (m) => m !== false,
      'a dead letter',
    );
    if (message === false) throw new Error('unreachable');
    expect(message.content.toString()).toBe('{"broken":');
    expect(String(message.properties.headers?.['x-weft-error'])).toContain('the body is not valid JSON');
    expect(message.properties.messageId).toBe('bad-1');
    expect(await runsOf(flowId)).toEqual([]);
    expect(logs.text()).toContain('refused a malformed message');
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  });

  it("rejects a malformed message without a dead-letter queue, so the queue's dead-letter exchange gets it, with a log line", async () => {
    const dlx = await newQueue();
    // The broker's own dead-lettering: rejected messages of `queue` go to `dlx` through the default exchange.
    const queue = await newQueue({ deadLetterExchange: '', deadLetterRoutingKey: dlx });
    const flowId = await deployFlow(sys, h, 'Rejects', eventFlow({ url: BROKER, queue }));
    await sys.system.eventConsumers!.sync();
    channel.sendToQueue(queue, Buffer.from('<x/>'), { contentType: 'application/pdf', messageId: 'pdf-1' });
    const message = await eventually(
      () => channel.get(dlx, { noAck: true }),
      (m) => m !== false,
      'a dead letter',
    );
    expect(message === false ? undefined : message.content.toString()).toBe('<x/>');
    expect(await runsOf(flowId)).toEqual([]);
    expect(logs.text()).toMatch(/refused a malformed message: content type \\"application\/pdf\\" is not JSON, XML, CSV or text; rejected/);
  });

  it('stops consuming when the flow is disabled and starts again when it is enabled', async () => {
    const queue = await newQueue();
    const flowId = await deployFlow(sys, h, 'Toggle', eventFlow({ url: BROKER, queue }));
    await sys.system.eventConsumers!.sync();
    expect(sys.system.eventConsumers!.active()).toContain(flowId);
    const off = await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${flowId}`, headers: h, payload: { enabled: false } });
    expect(off.statusCode, off.body).toBe(200);
    await sys.system.eventConsumers!.sync();
    expect(sys.system.eventConsumers!.active()).not.toContain(flowId);
    channel.sendToQueue(queue, Buffer.from('{"while":"off"}'), { contentType: 'application/json' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await channel.checkQueue(queue)).messageCount).toBe(1);
    expect(await runsOf(flowId)).toEqual([]);

    const on = await sys.app.inject({ method: 'PATCH', url: `/api/v1/flows/${flowId}`, headers: h, payload: { enabled: true } });
    expect(on.statusCode, on.body).toBe(200);
    await sys.system.eventConsumers!.sync();
    const runs = await eventually(
      () => runsOf(flowId),
      (r) => r.length === 1,
      'the waiting message to start a run',
    );
    expect((await inputOf(runs[0]!)).body).toBe('{"while":"off"}');
  });

  it('logs a refused broker login without the password and consumes nothing', async () => {
    const queue = await newQueue();
    const flowId = await deployFlow(sys, h, 'Bad login', eventFlow({ url: BROKER, instance: badLoginInstance, queue }));
    await sys.system.eventConsumers!.sync();
    expect(sys.system.eventConsumers!.active()).not.toContain(flowId);
    expect(logs.text()).toContain('could not start consuming');
    expect(logs.text()).toContain(queue);
    expect(logs.text()).not.toContain(WRONG_PASSWORD);
  });

  it("does not log in with another company's instance", async () => {
    const other = await sys.register({ company: 'Other Ltd' });
    const queue = await newQueue();
    const flowId = await deployFlow(
      sys,
      sys.auth(other.token),
      'Borrowed login',
      eventFlow({ url: BROKER, instance: brokerInstance, queue }),
    );
    await sys.system.eventConsumers!.sync();
    expect(sys.system.eventConsumers!.active()).not.toContain(flowId);
    expect(logs.text()).toContain(`the event trigger names instance \\"${brokerInstance}\\", which does not exist`);
  });

  it('refuses a broker URL with a login in it when the flow is saved', async () => {
    const res = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Leaky', definition: eventFlow({ url: 'amqp://guest:guest@127.0.0.1:5672/', queue: 'q' }) },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors['definition.steps[0].config.event.url']).toEqual([
      'must be an amqp:// or amqps:// URL without user or password (host, port, optional vhost), e.g. "amqp://rabbit.example.com:5672/%2F"',
    ]);
  });
});

describe('an event consumer whose store cannot take the run', () => {
  it('leaves the message on the queue (never acknowledged) and logs why', async () => {
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'] });
    const broker = await amqp.connect(BROKER);
    const channel = await broker.createChannel();
    const queue = `weft-test-${randomUUID()}`;
    await channel.assertQueue(queue, { durable: false });
    const lines: string[] = [];
    // A second store on the same database, closed before the message arrives: createRun fails.
    const store = openStore(sys.config);
    const consumers = createEventConsumers({
      store,
      queue: new LocalQueue(),
      cipher: await loadCredentialCipher(sys.store, sys.config),
      egressAllow: ['127.0.0.1'],
      requeueDelayMs: 20,
      log: (msg) => lines.push(msg),
    });
    try {
      const user = await sys.register();
      const h = sys.auth(user.token);
      await deployFlow(sys, h, 'Unlucky', eventFlow({ url: BROKER, queue }));
      await consumers.sync();
      await store.close();
      channel.sendToQueue(queue, Buffer.from('{"a":1}'), { contentType: 'application/json', messageId: 'x' });
      await eventually(
        async () => lines.join('\n'),
        (t) => t.includes('could not start a run for a message'),
        'the log line',
      );
      await consumers.stop();
      await eventually(
        async () => (await channel.checkQueue(queue)).messageCount,
        (n) => n === 1,
        'the message back on the queue',
      );
    } finally {
      await consumers.stop();
      await channel.deleteQueue(queue).catch(() => {});
      await broker.close();
      await sys.close();
    }
  });
});

describe('an event trigger without the egress allow-list', () => {
  it('does not connect to a loopback broker, and says why once', async () => {
    const logs = logSink();
    const sys = await createTestSystem({ egressAllow: [], logLevel: 'warn' }, { logStream: logs.stream });
    try {
      const h = sys.auth((await sys.register()).token);
      const flowId = await deployFlow(sys, h, 'Loopback', eventFlow({ url: BROKER, queue: `weft-test-${randomUUID()}` }));
      await sys.system.eventConsumers!.sync();
      await sys.system.eventConsumers!.sync();
      expect(sys.system.eventConsumers!.active()).not.toContain(flowId);
      const lines = logs
        .text()
        .split('\n')
        .filter((l) => l.includes('could not start consuming'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('127.0.0.1');
      expect(lines[0]).toContain('WEFT_EGRESS_ALLOW');
    } finally {
      await sys.close();
    }
  });
});

describe('an event trigger of a company at its start rate', () => {
  it('leaves the messages it may not start yet on the queue', async () => {
    const sys = await createTestSystem({ egressAllow: ['127.0.0.1'], startRatePerMinute: 2 });
    const broker = await amqp.connect(BROKER);
    const channel = await broker.createChannel();
    const queue = `weft-test-${randomUUID()}`;
    await channel.assertQueue(queue, { durable: false });
    try {
      const user = await sys.register();
      const flowId = await deployFlow(sys, sys.auth(user.token), 'Throttled', eventFlow({ url: BROKER, queue }));
      await sys.system.eventConsumers!.sync();
      for (let i = 1; i <= 4; i++)
        channel.sendToQueue(queue, Buffer.from(`{"n":${i}}`), { contentType: 'application/json', messageId: `t-${i}` });
      const runs = () => sys.store.listRuns(user.companyId, { flowId: [flowId] }, 'queued_at', { page: 1, perPage: 10 });
      await eventually(
        async () => (await runs()).total,
        (n) => n === 2,
        'two runs',
      );
      await new Promise((r) => setTimeout(r, 500));
      expect((await runs()).total).toBe(2);
      await sys.system.eventConsumers!.stop();
      await eventually(
        async () => (await channel.checkQueue(queue)).messageCount,
        (n) => n === 2,
        'the two refused messages back on the queue',
      );
    } finally {
      await channel.deleteQueue(queue).catch(() => {});
      await broker.close();
      await sys.close();
    }
  });
});
