import type { JobHandler, Queue, QueueJob } from '../types.js';

/**
 * The embedded queue: an in-memory ordering of runs that the store already holds as queued.
 * It is durable through the store, not by itself: on start and on every reconcile the worker
 * re-enqueues what the store says is runnable, so a crash loses only this ordering.
 *
 * Order: companies take turns (one company's backlog cannot starve another's); within a company,
 * expedited jobs (manual starts, retries) first, then priority 1…5, then oldest first.
 */
export class LocalQueue implements Queue {
  readonly #waiting = new Map<string, QueueJob[]>();
  readonly #known = new Set<string>();
  readonly #runningByCompany = new Map<string, number>();
  #companyTurn: string[] = [];
  #running = 0;
  #handler: JobHandler | undefined;
  #concurrency = 1;
  #companyConcurrency = 1;
  #closed = false;
  readonly #inFlight = new Set<Promise<void>>();

  async enqueue(job: QueueJob): Promise<void> {
    if (this.#closed || this.#known.has(job.runId)) return;
    this.#known.add(job.runId);
    let list = this.#waiting.get(job.companyId);
    if (!list) {
      list = [];
      this.#waiting.set(job.companyId, list);
      this.#companyTurn.push(job.companyId);
    }
    insertSorted(list, job);
    this.#pump();
  }

  consume(handler: JobHandler, options: { concurrency: number; companyConcurrency: number }): void {
    this.#handler = handler;
    this.#concurrency = Math.max(1, options.concurrency);
    this.#companyConcurrency = Math.max(1, options.companyConcurrency);
    this.#pump();
  }

  size(): number {
    let n = 0;
    for (const list of this.#waiting.values()) n += list.length;
    return n;
  }

  /** Whether the run is waiting or being handled here (the reconciler skips those). */
  holds(runId: string): boolean {
    return this.#known.has(runId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  #pump(): void {
    const handler = this.#handler;
    if (!handler || this.#closed) return;
    while (this.#running < this.#concurrency) {
      const job = this.#next();
      if (!job) return;
      this.#running++;
      this.#runningByCompany.set(job.companyId, (this.#runningByCompany.get(job.companyId) ?? 0) + 1);
      const p = handler(job)
        .catch(() => {
          // The handler records its own failures in the store; a throw here must not stop the queue.
        })
        .finally(() => {
          this.#running--;
          this.#runningByCompany.set(job.companyId, (this.#runningByCompany.get(job.companyId) ?? 1) - 1);
          this.#known.delete(job.runId);
          this.#inFlight.delete(p);
          this.#pump();
        });
      this.#inFlight.add(p);
    }
  }

  /** Round-robin over companies with work and spare concurrency; expedited work is looked for first. */
  #next(): QueueJob | undefined {
    for (const wantExpedite of [true, false]) {
      for (let i = 0; i < this.#companyTurn.length; i++) {
        const companyId = this.#companyTurn[i]!;
        const list = this.#waiting.get(companyId);
        if (!list || list.length === 0) continue;
        if ((this.#runningByCompany.get(companyId) ?? 0) >= this.#companyConcurrency) continue;
        if (wantExpedite && !list[0]!.expedite) continue;
        const job = list.shift()!;
        // This company goes to the back of the line.
        this.#companyTurn.splice(i, 1);
        if (list.length > 0) this.#companyTurn.push(companyId);
        else this.#waiting.delete(companyId);
        return job;
      }
    }
    return undefined;
  }
}

function before(a: QueueJob, b: QueueJob): boolean {
  if (a.expedite !== b.expedite) return a.expedite;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.queuedAt < b.queuedAt;
}

function insertSorted(list: QueueJob[], job: QueueJob): void {
  // Most jobs arrive in order, so scan from the end.
  let i = list.length;
  while (i > 0 && before(job, list[i - 1]!)) i--;
  list.splice(i, 0, job);
}
