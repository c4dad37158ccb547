import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteStore, type SqliteStoreOptions } from '../sqlite/sqlite-store.js';
import { type CallMessage, packBuffers, type ReplyMessage, reviveBuffers, toWireError } from './wire.js';

/**
 * The store thread (see threaded-store.ts): owns the SQLite connection and runs every store call
 * sent to it, in the order sent, so calls made in one turn on the main thread still meet in one
 * group commit here. Replies go back in batches, one message per turn.
 */
const port = parentPort;
if (port === null) throw new Error('store-thread.js runs as a worker thread only.');
const store = createSqliteStore((workerData as { options: SqliteStoreOptions }).options) as unknown as Record<
  string,
  ((...args: unknown[]) => Promise<unknown>) | undefined
>;

let replies: ReplyMessage[] = [];
let repliesTransfer: ArrayBuffer[] = [];
let closing = false;

function reply(message: ReplyMessage): void {
  if (replies.length === 0) setImmediate(flush);
  replies.push(message);
}

function flush(): void {
  const out = replies;
  const transfer = repliesTransfer;
  replies = [];
  repliesTransfer = [];
  port?.postMessage(out, transfer);
  // The last reply (to close) is out: the thread ends once nothing else holds its loop.
  if (closing && out.some((r) => r.id === closeId)) port?.close();
}

let closeId = -1;

port.on('message', (batch: CallMessage[]) => {
  for (const call of batch) {
    const method = store[call.method];
    if (typeof method !== 'function') {
      reply({ id: call.id, ok: false, error: toWireError(new TypeError(`store.${call.method} is not a function`)) });
      continue;
    }
    if (call.method === 'close') {
      closing = true;
      closeId = call.id;
    }
    let result: Promise<unknown>;
    try {
      result = method(...(reviveBuffers(call.args) as unknown[]));
    } catch (err) {
      reply({ id: call.id, ok: false, error: toWireError(err) });
      continue;
    }
    result.then(
      (value) => reply({ id: call.id, ok: true, value: packBuffers(value, repliesTransfer) }),
      (err: unknown) => reply({ id: call.id, ok: false, error: toWireError(err) }),
    );
  }
});
