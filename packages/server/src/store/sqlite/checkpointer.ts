import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A WAL checkpoint copies the log back into the database file and fsyncs both. Left to the
 * writing connection (SQLite's default, every 1000 pages) it runs inside some request's COMMIT
 * and stalls the event loop for tens of milliseconds: in measurements it cost a quarter of the
 * throughput and most of the p99 latency. So a worker thread with its own connection checkpoints
 * in the background (PASSIVE: it never blocks the writer); the writer keeps a high
 * wal_autocheckpoint only as a safety net in case this thread is gone.
 */
export class BackgroundCheckpointer {
  readonly #worker: Worker;
  #closed = false;

  constructor(file: string, intervalMs: number) {
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
    // Inline source: the same code runs from src (tests) and dist without a build step for it.
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driverPath, intervalMs } });
    // A failed checkpointer only means the writer's own autocheckpoint takes over.
    this.#worker.on('error', () => {});
    this.#worker.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Referenced again so the process stays up until the final checkpoint is done.
    this.#worker.ref();
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage('close');
    await exited;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file);
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;
