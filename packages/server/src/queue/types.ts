/**
 * The queue hands out work; the store holds the truth. Two adapters (local: in-process, durable
 * through the store; bullmq: Redis) implement this and run one conformance suite.
 */
export interface QueueJob {
  runId: string;
  companyId: string;
  /** 1 highest … 5 lowest. */
  priority: number;
  /** Manual starts and retries go ahead of queued work. */
  expedite: boolean;
  queuedAt: string;
  /** W3C trace context of the request that started the run, so the run's spans join its trace. */
  traceparent?: string;
}

export type JobHandler = (job: QueueJob) => Promise<void>;

export interface Queue {
  /** Called after the run is committed; losing this call loses nothing (the reconciler finds the run). */
  enqueue(job: QueueJob): Promise<void>;
  /** Starts handing jobs to the handler, at most `concurrency` at once and `companyConcurrency` per company. */
  consume(handler: JobHandler, options: { concurrency: number; companyConcurrency: number }): void;
  /** Number of jobs waiting (for metrics and tests). */
  size(): number;
  /** Stops handing out jobs and waits for running handlers to finish. */
  close(): Promise<void>;
}
