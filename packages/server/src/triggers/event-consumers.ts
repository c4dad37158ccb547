import { createHash } from 'node:crypto';
import { createEgressPolicy } from '@weft/engine';
import { AppError, isAppError, type PayloadFormat } from '@weft/schema';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { CredentialCipher } from '../crypto/credentials.js';
import { detect, looksLikeMarkup, refuseDangerousXml } from '../http/start/routes.js';
import { lazyRequire } from '../lazy-require.js';
import type { Queue } from '../queue/types.js';
import type { EventFlow } from '../store/event-trigger-types.js';
import type { Store } from '../store/types.js';
import { brokerConnectOptions, brokerLogin, shownBrokerUrl } from './broker-connection.js';

const loadAmqp = lazyRequire<typeof import('amqplib')>('amqplib');

export interface EventConsumersOptions {
  store: Store;
  queue: Pick<Queue, 'enqueue'>;
  cipher: CredentialCipher;
  /** WEFT_EGRESS_ALLOW: broker hosts are guarded like connector targets. */
  egressAllow: readonly string[];
  /** How often the deployed flows are read again. Default 5000. */
  intervalMs?: number;
  /** How long a message that could not be accepted (store unavailable) waits before it goes back to the queue. Default 1000. */
  requeueDelayMs?: number;
  log?: (message: string, extra?: Record<string, unknown>) => void;
  /**
   * The company's start admission (start rate, queued-runs allowance), as for the start endpoint.
   * A refused message is not lost: it goes back to the queue after the Retry-After pause.
   */
  admit?: (companyId: string) => Promise<void> | undefined;
}

export interface EventConsumers {
  start(): void;
  /** Stops polling and closes every consumer; unacknowledged messages go back to their queues. */
  stop(): Promise<void>;
  /** Starts consumers for newly deployed or enabled flows and stops those of undeployed or disabled ones. */
  sync(): Promise<void>;
  /** The flow ids being consumed for, for tests and status. */
  active(): string[];
}

interface Consumer {
  fingerprint: string;
  connection: ChannelModel | undefined;
  /** Set when the connection or channel ends; the next sync starts a fresh consumer. */
  dead: boolean;
  close(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 5000;
const DEFAULT_PREFETCH = 10;
const MAX_RETRY_PAUSE_MS = 5 * 60_000;
const MAX_ADMIT_PAUSE_MS = 30_000;
const CONTENT_FORMATS: Record<string, PayloadFormat> = {
  'application/json': 'json',
  'text/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/plain': 'text',
};

/**
 * Broker event triggers (spec/flows.md §5): one RabbitMQ consumer per deployed, enabled flow whose
 * trigger has an `event`, found by polling the store as the scheduler does. Each message starts
 * one run with its body as the payload; it is acknowledged only once the run is committed, so a
 * crash before then leaves it on the queue. A message with a message id starts at most one run
 * (idempotency key `event:<flowId>:<messageId>`). A message that cannot become a payload is
 * dead-lettered (or rejected) with a log line, never dropped silently.
 */
export function createEventConsumers(options: EventConsumersOptions): EventConsumers {
  const { store, queue, cipher } = options;
  const log = options.log ?? (() => {});
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const requeueDelayMs = options.requeueDelayMs ?? 1000;
  const policy = createEgressPolicy(options.egressAllow);
  const consumers = new Map<string, Consumer>();
  // Flows whose consumer could not start: retried with a growing pause, logged when the reason changes.
  const failures = new Map<string, { fingerprint: string; reason: string; attempts: number; retryAt: number }>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  async function fingerprintOf(flow: EventFlow): Promise<string> {
    // The login is part of it, so new credentials on the instance reconnect the consumer.
    const login = await brokerLogin(store, cipher, flow.companyId, flow.event).catch(() => ({}));
    return createHash('sha256')
      .update(JSON.stringify([flow.versionId, flow.priority, flow.event, login]))
      .digest('hex');
  }

  async function syncOnce(): Promise<void> {
    if (stopped) return;
    const flows = await store.listEventFlows();
    const wanted = new Map<string, { flow: EventFlow; fingerprint: string }>();
    for (const flow of flows) wanted.set(flow.flowId, { flow, fingerprint: await fingerprintOf(flow) });
    for (const [flowId, consumer] of consumers) {
      const want = wanted.get(flowId);
      if (want === undefined || want.fingerprint !== consumer.fingerprint || consumer.dead) {
        consumers.delete(flowId);
        await consumer.close();
      }
    }
    for (const flowId of failures.keys()) if (!wanted.has(flowId)) failures.delete(flowId);
    for (const [flowId, { flow, fingerprint }] of wanted) {
      if (consumers.has(flowId) || stopped) continue;
      const failed = failures.get(flowId);
      if (failed !== undefined && failed.fingerprint === fingerprint && Date.now() < failed.retryAt) continue;
      try {
        consumers.set(flowId, await startConsumer(flow, fingerprint));
        failures.delete(flowId);
      } catch (err) {
        const reason = errorText(err);
        const attempts = failed !== undefined && failed.fingerprint === fingerprint ? failed.attempts + 1 : 1;
        const pauseMs = Math.min(MAX_RETRY_PAUSE_MS, intervalMs * 2 ** (attempts - 1));
        failures.set(flowId, { fingerprint, reason, attempts, retryAt: Date.now() + pauseMs });
        if (failed?.reason !== reason) {
          log('could not start consuming; trying again with a growing pause', {
            flowId,
            url: shownBrokerUrl(flow.event),
            queue: flow.event.queue,
            err: reason,
          });
        }
      }
    }
  }

  async function startConsumer(flow: EventFlow, fingerprint: string): Promise<Consumer> {
    const { event } = flow;
    const login = await brokerLogin(store, cipher, flow.companyId, event);
    const { options: connectOptions, socketOptions } = await brokerConnectOptions(event, login, policy);
    const connection = await loadAmqp().connect(connectOptions, socketOptions);
    // Messages being turned into runs: close() lets them finish (and be acknowledged) first.
    const inFlight = new Set<Promise<void>>();
    let cancel: (() => Promise<unknown>) | undefined;
    const consumer: Consumer = {
      fingerprint,
      connection,
      dead: false,
      async close() {
        await cancel?.().catch(() => {});
        await Promise.allSettled([...inFlight]);
        consumer.connection = undefined;
        await connection.close().catch(() => {});
      },
    };
    const died = (why: string) => (err?: Error) => {
      if (consumer.dead || consumer.connection === undefined) return;
      consumer.dead = true;
      log(`consumer ${why}; it restarts at the next poll`, { flowId: flow.flowId, queue: event.queue, err: err?.message });
    };
    connection.on('error', () => {});
    connection.on('close', died('lost its connection'));
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => {});
      channel.on('close', died('lost its channel'));
      await channel.prefetch(event.prefetch ?? DEFAULT_PREFETCH);
      await channel.checkQueue(event.queue);
      if (event.dead_letter_queue !== undefined) await channel.checkQueue(event.dead_letter_queue);
      const { consumerTag } = await channel.consume(event.queue, (message) => {
        if (message === null) {
          died('was cancelled by the broker (queue deleted?)')();
          return;
        }
        const work = handle(flow, channel, message).finally(() => inFlight.delete(work));
        inFlight.add(work);
      });
      cancel = () => channel.cancel(consumerTag);
    } catch (err) {
      await connection.close().catch(() => {});
      throw err;
    }
    return consumer;
  }

  async function handle(flow: EventFlow, channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const messageId = message.properties.messageId as string | undefined;
    let input: { format: PayloadFormat; meta: Record<string, string>; body: Buffer };
    try {
      input = payloadOf(flow, message);
    } catch (err) {
      await deadLetter(flow, channel, message, errorText(err));
      return;
    }
    try {
      await options.admit?.(flow.companyId);
    } catch (err) {
      const retryAfterS = Number((isAppError(err) ? err.headers?.['retry-after'] : undefined) ?? 1);
      log('the company may not start more runs now; the message goes back to the queue', {
        flowId: flow.flowId,
        messageId,
        err: errorText(err),
      });
      requeueLater(channel, message, Math.min(MAX_ADMIT_PAUSE_MS, Math.max(requeueDelayMs, retryAfterS * 1000)));
      return;
    }
    try {
      const { run, replayed } = await store.createRun(flow.companyId, {
        flowId: flow.flowId,
        versionId: flow.versionId,
        trigger: 'event',
        priority: flow.priority,
        expedite: false,
        input,
        idempotency:
          messageId === undefined || messageId === ''
            ? undefined
            : { key: `event:${flow.flowId}:${messageId}`, requestHash: createHash('sha256').update(message.content).digest('hex') },
      });
      // The run is committed: only now may the broker forget the message.
      try {
        channel.ack(message);
      } catch (err) {
        // The channel closed meanwhile: the broker delivers the message again, and its id finds this run.
        log('could not acknowledge a message whose run was started; it will be delivered again', {
          flowId: flow.flowId,
          runId: run.id,
          messageId,
          err: errorText(err),
        });
      }
      if (!replayed) {
        queue
          .enqueue({ runId: run.id, companyId: run.companyId, priority: run.priority, expedite: run.expedite, queuedAt: run.queuedAt })
          .catch((err: unknown) => log('enqueue failed; the reconciler will pick the run up', { runId: run.id, err: errorText(err) }));
      }
    } catch (err) {
      if (isAppError(err) && err.code === 'IDEMPOTENCY_KEY_REUSED') {
        await deadLetter(flow, channel, message, `message id ${JSON.stringify(messageId)} was already used for a different body`);
        return;
      }
      // Not accepted (store unavailable, flow changed under us): back to the queue after a pause.
      log('could not start a run for a message; it goes back to the queue', { flowId: flow.flowId, messageId, err: errorText(err) });
      requeueLater(channel, message, requeueDelayMs);
    }
  }

  async function deadLetter(flow: EventFlow, channel: ConfirmChannel, message: ConsumeMessage, reason: string): Promise<void> {
    const { event } = flow;
    const messageId = message.properties.messageId as string | undefined;
    const target = event.dead_letter_queue;
    log(
      `refused a malformed message: ${reason}; ${target === undefined ? 'rejected (the queue dead-letter exchange applies)' : `moved to ${target}`}`,
      {
        flowId: flow.flowId,
        queue: event.queue,
        messageId,
        deliveryTag: message.fields.deliveryTag,
      },
    );
    try {
      if (target === undefined) {
        channel.nack(message, false, false);
        return;
      }
      const headers = {
        ...(message.properties.headers ?? {}),
        'x-weft-error': reason,
        'x-weft-flow-id': flow.flowId,
        'x-weft-queue': event.queue,
      };
      await new Promise<void>((resolve, reject) => {
        channel.sendToQueue(target, message.content, { ...cleanProperties(message), headers, persistent: true }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
      channel.ack(message);
    } catch (err) {
      log('could not dead-letter a message; it stays unacknowledged and returns to the queue', {
        flowId: flow.flowId,
        err: errorText(err),
      });
    }
  }

  function loop(): void {
    if (stopped) return;
    void sync().finally(() => {
      if (!stopped) {
        timer = setTimeout(loop, intervalMs);
        timer.unref();
      }
    });
  }

  function sync(): Promise<void> {
    chain = chain.then(syncOnce).catch((err: unknown) => log('event trigger sync failed', { err: errorText(err) }));
    return chain;
  }

  return {
    start() {
      if (timer !== undefined) return;
      stopped = false;
      loop();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await chain;
      const all = [...consumers.values()];
      consumers.clear();
      await Promise.all(all.map((c) => c.close()));
    },
    sync,
    active: () => [...consumers.entries()].filter(([, c]) => !c.dead).map(([id]) => id),
  };
}

/** The message as a run's input: content type → format (sniffed when absent), checked so a run never starts on a body it cannot read. */
function payloadOf(flow: EventFlow, message: ConsumeMessage): { format: PayloadFormat; meta: Record<string, string>; body: Buffer } {
  const body = message.content;
  const contentType = (message.properties.contentType as string | undefined)?.split(';')[0]?.trim().toLowerCase();
  let format: PayloadFormat;
  if (contentType === undefined || contentType === '') format = body.length === 0 ? 'text' : detect(body);
  else {
    const known =
      CONTENT_FORMATS[contentType] ?? (contentType.endsWith('+json') ? 'json' : contentType.endsWith('+xml') ? 'xml' : undefined);
    if (known === undefined)
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `content type ${JSON.stringify(contentType)} is not JSON, XML, CSV or text`);
    format = known;
  }
  if (format === 'json') {
    try {
      JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new AppError('PAYLOAD_FORMAT_ERROR', `the body is not valid JSON (${(err as Error).message})`);
    }
  }
  if (format === 'xml' || looksLikeMarkup(body)) refuseDangerousXml(body);
  const meta: Record<string, string> = { amqp_queue: flow.event.queue };
  if (message.fields.exchange !== '') meta.amqp_exchange = message.fields.exchange;
  if (message.fields.routingKey !== '') meta.amqp_routing_key = message.fields.routingKey;
  const messageId = message.properties.messageId as string | undefined;
  if (messageId !== undefined && messageId !== '') meta.amqp_message_id = messageId;
  const correlationId = message.properties.correlationId as string | undefined;
  if (correlationId !== undefined && correlationId !== '') meta.amqp_correlation_id = correlationId;
  return { format, meta, body };
}

/** Puts the message back on its queue after a pause, so a refusal does not spin. */
function requeueLater(channel: ConfirmChannel, message: ConsumeMessage, delayMs: number): void {
  setTimeout(() => {
    try {
      channel.nack(message, false, true);
    } catch {
      // The channel closed meanwhile; the broker requeues unacknowledged messages itself.
    }
  }, delayMs).unref();
}

function cleanProperties(message: ConsumeMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message.properties)) if (value !== undefined && key !== 'headers') out[key] = value;
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
