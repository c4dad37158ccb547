import { Worker } from 'node:worker_threads';
import { AppError } from '@weft/schema';
import type { SqliteStoreOptions } from '../sqlite/sqlite-store.js';
import type { Store } from '../types.js';
import { type CallMessage, fromWireError, packBuffers, type ReplyMessage, reviveBuffers } from './wire.js';

/**
 * The embedded store with its SQLite connection in a worker thread of its own.
 *
 * Node runs the API, the engine and every SQLite statement on one thread, and SQLite's B-tree
 * work is a third or more of each run's CPU. With WEFT_STORE_THREAD=on every store call is
 * posted to a thread that owns the connection (the same createSqliteStore, group commit
 * included), so SQLite runs beside the engine instead of between its steps. The contract is the
 * Store interface's, unchanged, and the same conformance suite runs against it. Calls made in one
 * turn travel as one message, in order, so writes submitted together still commit together.
 *
 * Measured on two cores (bench W1, c50): the main thread's CPU per run fell by a quarter, but
 * runs/s did not rise and starts/s fell by about half, because each start now waits for two
 * thread round trips and the load generator shares the cores; so it is off by default. It keeps
 * accept-to-delivery short under overload (starts slow down instead of queueing up).
 */
export function createThreadedSqliteStore(options: SqliteStoreOptions): Store {
  const worker = new Worker(threadEntry(), { workerData: { options } });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: unknown) => void }>();
  let nextId = 0;
  let outbox: CallMessage[] = [];
  let outboxTransfer: ArrayBuffer[] = [];
  /** Set once the thread is gone: every later call fails with it. */
  let stopped: AppError | undefined;
  let closed: Promise<void> | undefined;
  // The thread keeps the process alive only while a call waits for it, like a socket would.
  worker.unref();

  const settleAll = (err: AppError) => {
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  worker.on('message', (replies: ReplyMessage[]) => {
    for (const reply of replies) {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) continue;
      pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reviveBuffers(reply.value));
      else waiting.reject(fromWireError(reply.error));
    }
    if (pending.size === 0 && closed === undefined) worker.unref();
  });
  worker.on('error', (err) => {
    stopped = new AppError('STORAGE_UNAVAILABLE', `The store thread stopped: ${err.message}`, { cause: err });
    settleAll(stopped);
  });
  worker.on('exit', () => {
    stopped ??= new AppError('STORAGE_UNAVAILABLE', 'The store is closed.');
    settleAll(stopped);
  });

  const send = () => {
    const batch = outbox;
    const transfer = outboxTransfer;
    outbox = [];
    outboxTransfer = [];
    if (stopped === undefined) worker.postMessage(batch, transfer);
  };

  const call = (method: string, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (stopped !== undefined) {
        reject(stopped);
        return;
      }
      nextId += 1;
      if (pending.size === 0) worker.ref();
      pending.set(nextId, { resolve, reject });
      // setImmediate, not a microtask: every call of this turn (a request's, a step's) joins the message.
      if (outbox.length === 0) setImmediate(send);
      // Packed now: the call carries its arguments as they are at the call, as a direct call would.
      outbox.push({ id: nextId, method, args: packBuffers(args, outboxTransfer) as unknown[] });
    });

  const methods: Record<string | symbol, unknown> = {
    close(): Promise<void> {
      closed ??= (async () => {
        if (stopped !== undefined) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        // Held until the thread has closed the database and ended, or the process could exit first.
        worker.ref();
        await call('close', []);
        await exited;
      })();
      return closed;
    },
  };
  // Every other property is a store method of that name, made on first use. Properties set on
  // the object (a test's spy) win, as they would on the plain store.
  return new Proxy(methods, {
    get(target, prop, receiver) {
      if (typeof prop !== 'string' || prop === 'then' || Object.hasOwn(target, prop)) return Reflect.get(target, prop, receiver);
      const method = (...args: unknown[]) => call(prop, args);
      target[prop] = method;
      return method;
    },
  }) as unknown as Store;
}

/**
 * The thread's script. From dist it sits beside this file; under the test runner, which loads
 * the TypeScript sources, a worker thread cannot load TypeScript, so it is the built file (npm
 * test builds first).
 */
function threadEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL(here.replace('/src/', '/dist/').replace(/threaded-store\.ts$/, 'store-thread.js'));
  return new URL('./store-thread.js', here);
}
