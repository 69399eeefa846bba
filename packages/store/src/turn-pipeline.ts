import type { ChainableCommander, Redis } from 'ioredis';

interface Queued {
  add(pipeline: ChainableCommander): void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Sends the calls made within one turn of the event loop in one pipeline: one request (and one
 * socket write) for all of them instead of one each, each call still its own command with its own
 * answer. A worker's claims of the pods of a batch it took are made in the same turn. A call waits
 * at most until the end of the turn (setImmediate).
 */
export class TurnPipeline {
  private queued: Queued[] = [];

  constructor(private readonly redis: Redis) {}

  /** `add` puts the call's one command into the pipeline; resolves with its answer. */
  call<T>(add: (pipeline: ChainableCommander) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ add, resolve: resolve as (value: unknown) => void, reject });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    const pipeline = this.redis.pipeline();
    for (const q of batch) q.add(pipeline);
    pipeline.exec().then(
      (replies) =>
        batch.forEach((q, i) => {
          const [err, value] = replies?.[i] ?? [new Error('no reply in the pipeline')];
          if (err) q.reject(err);
          else q.resolve(value);
        }),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
  }
}
