import { randomUUID } from 'node:crypto';
import type { Queue as BullQueue, Worker as BullWorker, Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { lazyRequire } from '../../lazy-require.js';
import type { JobHandler, Queue, QueueJob } from '../types.js';

export interface BullMqQueueOptions {
  /** redis://… (WEFT_REDIS_URL). */
  url: string;
  /** Every key and channel this queue touches starts with `${prefix}:` (WEFT_REDIS_PREFIX). */
  prefix: string;
  /**
   * Running runs per company across all processes. Written with every enqueue as well as by
   * consumers, so the limit survives a flush of Redis even while only the API enqueues.
   * consume()'s companyConcurrency wins in a consuming process; all processes share one config.
   */
  companyConcurrency?: number;
  /** How long a handed-out job stays ours without renewal; after that the stalled check returns it. */
  lockMs?: number;
  /** How often each process returns stalled jobs and looks for companies with work it was not told about. */
  sweepMs?: number;
  /** First delay of a job whose handler threw; doubles per attempt. */
  retryBaseMs?: number;
  /**
   * How long enqueue waits for Redis before it rejects. The run is committed by then, so a
   * rejection loses nothing (the reconciler finds the run); without a bound, callers would hang
   * for as long as Redis is down.
   */
  enqueueTimeoutMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

/** Handler throws are retried this often with backoff; after that the job is dropped and the reconciler owns the run. */
const ATTEMPTS = 5;
/** Producer handles kept per process (each is a few objects on the shared connection). */
const PRODUCERS_MAX = 10_000;

/**
 * Counts a company's jobs by state, prunes companies with none from the registry and reports
 * those with work. One script, so a prune cannot race an enqueue: enqueue adds the job before
 * it adds the company, and this sees either the job or the removal comes first.
 */
const SCAN_SCRIPT = `
local members = redis.call('SMEMBERS', KEYS[1])
local ready, live, waiting = {}, {}, 0
for _, name in ipairs(members) do
  local base = ARGV[1] .. name .. ':'
  local w = redis.call('LLEN', base .. 'wait') + redis.call('ZCARD', base .. 'prioritized') + redis.call('LLEN', base .. 'paused')
  local d = redis.call('ZCARD', base .. 'delayed')
  local a = redis.call('LLEN', base .. 'active')
  waiting = waiting + w + d
  if w + d > 0 then table.insert(ready, name) end
  if w + d + a > 0 then table.insert(live, name) else redis.call('SREM', KEYS[1], name) end
end
return {waiting, ready, live}
`;

interface Lane {
  worker: BullWorker;
  /** Jobs of this company this process is handling, by job id, with their lock tokens. */
  inFlight: Map<string, { job: Job<QueueJob>; token: string }>;
  /** A fetch is under way (the sweep must not close the worker under it). */
  fetching: boolean;
}

const loadBullMq = lazyRequire<typeof import('bullmq')>('bullmq');
const loadRedis = lazyRequire<typeof import('ioredis')>('ioredis');

/**
 * The distributed queue on Redis through BullMQ. Redis only hands out work: the store is the
 * truth and the worker's reconciler re-enqueues runs Redis lost. See README.md for the design
 * (one BullMQ queue per company, BullMQ's global concurrency per company, round-robin over
 * companies in each process).
 */
export class BullMqQueue implements Queue {
  readonly #options: Required<Omit<BullMqQueueOptions, 'companyConcurrency' | 'log'>> & Pick<BullMqQueueOptions, 'log'>;
  readonly #client: Redis;
  #subscriber: Redis | undefined;
  readonly #registryKey: string;
  readonly #wakeChannel: string;
  readonly #producers = new Map<string, BullQueue<QueueJob>>();
  readonly #lanes = new Map<string, Lane>();
  /** Companies (queue names) that may have work, in turn order: the front is asked first. */
  readonly #turn = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  #companyConcurrency: number | undefined;
  #handler: JobHandler | undefined;
  #concurrency = 1;
  #running = 0;
  #pumping = false;
  #pumpAgain = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #lockTimer: NodeJS.Timeout | undefined;
  #waitingCount = 0;
  #sizeRefreshedAt = 0;

  constructor(options: BullMqQueueOptions) {
    this.#options = {
      lockMs: 30_000,
      sweepMs: 1000,
      retryBaseMs: 1000,
      enqueueTimeoutMs: 5000,
      ...options,
    };
    this.#companyConcurrency = options.companyConcurrency;
    // BullMQ requires maxRetriesPerRequest: null on connections its workers use.
    this.#client = new (loadRedis().Redis)(options.url, { maxRetriesPerRequest: null });
    this.#client.on('error', (err) => this.#log('redis connection error', err));
    this.#registryKey = `${options.prefix}:companies`;
    this.#wakeChannel = `${options.prefix}:wake`;
  }

  async enqueue(job: QueueJob): Promise<void> {
    if (this.#closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not take run ${job.runId} within ${this.#options.enqueueTimeoutMs} ms`)),
        this.#options.enqueueTimeoutMs,
      );
    });
    const adding = this.#add(job);
    // After a timeout the add may still settle (it is idempotent); its outcome no longer matters.
    adding.catch(() => {});
    try {
      await Promise.race([adding, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #add(job: QueueJob): Promise<void> {
    const name = queueName(job.companyId);
    // jobId = runId: BullMQ ignores an add whose id exists, so a run is handed out once however
    // often it is enqueued while its job lives (removed on completion, so a re-enqueue later works).
    await this.#producer(name).add('run', job, {
      jobId: job.runId,
      priority: bullPriority(job),
      removeOnComplete: true,
      removeOnFail: true,
      attempts: ATTEMPTS,
      backoff: { type: 'exponential', delay: this.#options.retryBaseMs },
    });
    // One pipeline, so one write and one round trip for the three (each command alone is a syscall
    // and a reply to wait for, a large part of a start's cost).
    const after = this.#client.pipeline().sadd(this.#registryKey, name);
    if (this.#companyConcurrency !== undefined) after.hset(this.#metaKey(name), 'concurrency', String(this.#companyConcurrency));
    after.publish(this.#wakeChannel, name);
    for (const [err] of (await after.exec()) ?? []) if (err) throw err;
    this.#wake(name);
  }

  consume(handler: JobHandler, options: { concurrency: number; companyConcurrency: number }): void {
    if (this.#closed || this.#handler) return;
    this.#handler = handler;
    this.#concurrency = Math.max(1, options.concurrency);
    this.#companyConcurrency = Math.max(1, options.companyConcurrency);
    const subscriber = this.#client.duplicate();
    subscriber.on('error', (err) => this.#log('redis subscriber error', err));
    subscriber.on('message', (_channel, name: string) => this.#wake(name));
    void subscriber.subscribe(this.#wakeChannel).catch((err) => this.#log('redis subscribe failed', err));
    this.#subscriber = subscriber;
    const sweep = () => {
      this.#sweep()
        .catch((err) => this.#log('queue sweep failed', err))
        .finally(() => {
          if (!this.#closed) this.#sweepTimer = setTimeout(sweep, this.#options.sweepMs);
        });
    };
    sweep();
    // Jobs fetched by hand keep their lock only if we extend it.
    this.#lockTimer = setInterval(() => this.#extendLocks(), Math.max(50, Math.floor(this.#options.lockMs / 3)));
    this.#lockTimer.unref();
  }

  /**
   * Jobs waiting (queued or delayed) across companies, as of the last look: the interface is
   * synchronous, so this returns the latest count and starts a fresh one at most once a second.
   */
  size(): number {
    if (!this.#closed && Date.now() - this.#sizeRefreshedAt > 1000) {
      this.#sizeRefreshedAt = Date.now();
      this.#scan().catch((err) => this.#log('queue size failed', err));
    }
    return this.#waitingCount;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#sweepTimer);
    await Promise.allSettled([...this.#inFlight]);
    clearInterval(this.#lockTimer);
    await Promise.allSettled([...this.#lanes.values()].map((lane) => lane.worker.close()));
    await Promise.allSettled([...this.#producers.values()].map((q) => q.close()));
    this.#lanes.clear();
    this.#producers.clear();
    this.#subscriber?.disconnect();
    // quit() would wait in the offline queue for a Redis that is down.
    if (this.#client.status === 'ready') await this.#client.quit().catch(() => this.#client.disconnect());
    else this.#client.disconnect();
  }

  #producer(name: string): BullQueue<QueueJob> {
    let q = this.#producers.get(name);
    if (!q) {
      if (this.#producers.size >= PRODUCERS_MAX) {
        const [oldest, handle] = this.#producers.entries().next().value as [string, BullQueue<QueueJob>];
        this.#producers.delete(oldest);
        void handle.close();
      }
      q = new (loadBullMq().Queue)<QueueJob>(name, { connection: this.#client, prefix: this.#options.prefix });
      q.on('error', (err) => this.#log('queue error', err));
      this.#producers.set(name, q);
    }
    return q;
  }

  #setCompanyConcurrency(name: string): Promise<unknown> {
    if (this.#companyConcurrency === undefined) return Promise.resolve();
    return this.#client.hset(this.#metaKey(name), 'concurrency', String(this.#companyConcurrency));
  }

  #metaKey(name: string): string {
    return `${this.#options.prefix}:${name}:meta`;
  }

  /** A company may have work: it joins the turn (keeping its place if it is in it) and we look. */
  #wake(name: string): void {
    if (!this.#handler || this.#closed) return;
    this.#turn.add(name);
    void this.#pump();
  }

  #lane(name: string): Lane {
    let lane = this.#lanes.get(name);
    if (!lane) {
      // No processor: jobs are fetched by hand (getNextJob), so one process can share its
      // concurrency across companies. The worker still runs BullMQ's stalled check for the company.
      const worker = new (loadBullMq().Worker)<QueueJob>(name, null, {
        connection: this.#client,
        prefix: this.#options.prefix,
        autorun: false,
        lockDuration: this.#options.lockMs,
        stalledInterval: Math.max(50, Math.floor(this.#options.lockMs / 2)),
        // A run that stalls again and again is still the store's to finish, never BullMQ's to fail.
        maxStalledCount: 1_000_000,
      });
      worker.on('error', (err) => this.#log('queue worker error', err));
      lane = { worker, inFlight: new Map(), fetching: false };
      this.#lanes.set(name, lane);
      void this.#setCompanyConcurrency(name).catch((err) => this.#log('set company concurrency failed', err));
      void worker.startStalledCheckTimer().catch((err) => this.#log('stalled check failed', err));
    }
    return lane;
  }

  /**
   * Round-robin over companies with work: ask the company at the front for its next job (BullMQ
   * hands out by priority and refuses when the company is at its concurrency in any process);
   * a company that gave a job goes to the back, one that gave none leaves the turn until a
   * wake (an enqueue or a finished job anywhere) or the sweep brings it back.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        while (!this.#closed && this.#handler && this.#running < this.#concurrency && this.#turn.size > 0) {
          const name = this.#turn.values().next().value as string;
          this.#turn.delete(name);
          const lane = this.#lane(name);
          const token = randomUUID();
          let job: Job<QueueJob> | undefined;
          lane.fetching = true;
          try {
            job = await lane.worker.getNextJob(token, { block: false });
          } catch (err) {
            this.#log('fetching a job failed', err);
          } finally {
            lane.fetching = false;
          }
          if (!job || job.id === undefined) continue;
          if (this.#closed) {
            await job.moveToWait(token).catch(() => {});
            return;
          }
          this.#turn.add(name);
          this.#start(name, lane, job, token);
        }
      } while (this.#pumpAgain && !this.#closed);
    } finally {
      this.#pumping = false;
    }
  }

  #start(name: string, lane: Lane, job: Job<QueueJob>, token: string): void {
    const handler = this.#handler!;
    const jobId = job.id!;
    this.#running++;
    lane.inFlight.set(jobId, { job, token });
    /** The company's next job, handed out by the script that completed this one. */
    let next: Job<QueueJob> | undefined;
    const p = (async () => {
      let failure: unknown;
      try {
        await handler(job.data);
      } catch (err) {
        failure = err;
      }
      try {
        if (this.#closed) {
          // Shutting down: the handler gave its run's lease back, so the job goes back to wait for
          // another process at once instead of after the reconciler's next pass.
          await job.moveToWait(token);
        } else if (failure !== undefined) {
          // Retried after a delay (attempts, exponential backoff), then dropped: the run is in the store.
          await job.moveToFailed(failure instanceof Error ? failure : new Error(String(failure)), token, false);
        } else {
          // When no other company waits for a turn here, the script that completes the job also
          // hands out the company's next one (within its concurrency, like getNextJob), under the
          // same lock token: one round trip instead of three (complete, wake, fetch). Round-robin
          // is kept: with another company in the turn the slot goes back to the pump.
          const chain = this.#turn.size === 0 || (this.#turn.size === 1 && this.#turn.has(name));
          const raw = await job.moveToCompleted(null, token, chain);
          if (chain && Array.isArray(raw) && raw[0] !== undefined && raw[0] !== null && raw[1] !== undefined) {
            next = loadBullMq().Job.fromJSON(lane.worker, raw[0], String(raw[1])) as Job<QueueJob>;
          }
        }
      } catch {
        // The job is gone or no longer ours (a flush, or the stalled check gave it to another
        // process after a long pause): the store lease decided who ran the run.
      }
    })().finally(() => {
      this.#running--;
      lane.inFlight.delete(jobId);
      this.#inFlight.delete(p);
      if (next !== undefined) {
        // The slot passes to the company's next job: nothing was freed, so no one is woken.
        // Closing: back to wait, and close() (which waits for this promise) waits for that too.
        if (this.#closed)
          return next.moveToWait(token).then(
            () => {},
            () => {},
          );
        this.#start(name, lane, next, token);
        return;
      }
      if (this.#closed) return;
      // A slot of this company is free now, here and for every other process.
      this.#client.publish(this.#wakeChannel, name).catch(() => {});
      this.#wake(name);
    });
    this.#inFlight.add(p);
  }

  #extendLocks(): void {
    for (const lane of this.#lanes.values()) {
      for (const { job, token } of lane.inFlight.values()) {
        job.extendLock(token, this.#options.lockMs).catch(() => {});
      }
    }
  }

  /** Companies with work join the turn; workers of companies with no jobs left are closed. */
  async #sweep(): Promise<void> {
    const { ready, live } = await this.#scan();
    if (this.#closed) return;
    for (const name of live) this.#lane(name);
    for (const [name, lane] of this.#lanes) {
      if (!live.includes(name) && lane.inFlight.size === 0 && !lane.fetching && !this.#turn.has(name)) {
        this.#lanes.delete(name);
        void lane.worker.close();
      }
    }
    for (const name of ready) this.#turn.add(name);
    void this.#pump();
  }

  async #scan(): Promise<{ ready: string[]; live: string[] }> {
    const [waiting, ready, live] = (await this.#client.eval(SCAN_SCRIPT, 1, this.#registryKey, `${this.#options.prefix}:`)) as [
      number,
      string[],
      string[],
    ];
    this.#waitingCount = waiting;
    this.#sizeRefreshedAt = Date.now();
    return { ready, live };
  }

  #log(msg: string, err: unknown): void {
    if (this.#closed && /Connection is closed/.test(String(err))) return;
    this.#options.log?.(msg, { err: String(err) });
  }
}

/** A company's BullMQ queue name (BullMQ forbids ':' in names; encodeURIComponent escapes it). */
export function queueName(companyId: string): string {
  return `c-${encodeURIComponent(companyId)}`;
}

/** BullMQ: lower is sooner. Expedited jobs take 1…5, queued work 6…10, so any expedited job goes first. */
function bullPriority(job: QueueJob): number {
  const p = Math.min(5, Math.max(1, Math.round(job.priority)));
  return job.expedite ? p : p + 5;
}
