import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { deployFlow } from '../test-support/connector-flows.js';
import { createTestSystem } from '../test-support/harness.js';

const BROKER = 'amqp://127.0.0.1:5672/%2F';
const databaseUrl = process.env.WEFT_TEST_DATABASE_URL;

describe.skipIf(databaseUrl === undefined)('event triggers in two processes sharing one PostgreSQL store', () => {
  it('start exactly one run per message id, whichever process receives it and however often', async () => {
    const schema = `weft_evt_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const shared = { databaseUrl, databaseSchema: schema, databasePoolSize: 3, egressAllow: ['127.0.0.1'] };
    const a = await createTestSystem(shared);
    const b = await createTestSystem(shared);
    const broker = await amqp.connect(BROKER);
    const channel = await broker.createChannel();
    const queue = `weft-test-${randomUUID()}`;
    await channel.assertQueue(queue, { durable: false });
    try {
      const user = await a.register();
      const definition = {
        format: 'json',
        steps: [
          { id: 'trigger', shape: 'trigger', config: { event: { url: BROKER, queue, prefetch: 5 } } },
          { id: 'keep', shape: 'set_variables', config: { meta: { seen: 'yes' } } },
        ],
        edges: [{ from: 'trigger', to: 'keep' }],
      };
      const flowId = await deployFlow(a, a.auth(user.token), 'Shared queue', definition);
      await a.system.eventConsumers!.sync();
      await b.system.eventConsumers!.sync();
      expect(a.system.eventConsumers!.active()).toEqual([flowId]);
      expect(b.system.eventConsumers!.active()).toEqual([flowId]);

      // 30 messages, each sent twice (a producer retrying): 30 runs, spread over both processes.
      for (let i = 0; i < 30; i++) {
        for (let copy = 0; copy < 2; copy++) {
          channel.sendToQueue(queue, Buffer.from(JSON.stringify({ i })), { contentType: 'application/json', messageId: `msg-${i}` });
        }
      }
      const runs = async () => (await a.store.listRuns(user.companyId, { flowId: [flowId] }, 'queued_at', { page: 1, perPage: 100 })).rows;
      // Done when every message has its run and nothing is waiting or unacknowledged (consumers hold up to prefetch each).
      const deadline = Date.now() + 20_000;
      for (;;) {
        const q = await channel.checkQueue(queue);
        if ((q.messageCount === 0 && (await runs()).length === 30) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      await a.system.eventConsumers!.stop();
      await b.system.eventConsumers!.stop();
      expect((await channel.checkQueue(queue)).messageCount).toBe(0);
      const started = await runs();
      expect(started).toHaveLength(30);
      const inputs = await Promise.all(
        started.map(async (r) => (await a.store.loadPayloads(r.id, [r.inputPayloadId!]))[0]!.meta.amqp_message_id),
      );
      expect(new Set(inputs).size).toBe(30);
    } finally {
      await channel.deleteQueue(queue).catch(() => {});
      await broker.close();
      await b.close();
      await a.close();
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
