import type { Redis } from 'ioredis';
import type { LogChunk } from '@jobfleet/store';

/** Default bound of a pod's stored log: the oldest chunks go first past it, like a rotated kubelet log. */
export const DEFAULT_POD_LOG_MAX_BYTES = 1024 * 1024;
const FLUSH_INTERVAL_MS = 100;
const MAX_CHUNK_BYTES = 64 * 1024;

/**
 * Copies a pod's container output into a Redis stream (one entry per chunk: container, stream,
 * time, data), so any API process can serve and follow it, also after the worker is gone.
 */
export class PodLogWriter {
  private pending: { c: string; s: 'stdout' | 'stderr'; t: number; d: Buffer }[] = [];
  private readonly stored: { id: string; size: number }[] = [];
  private storedBytes = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxBytes = DEFAULT_POD_LOG_MAX_BYTES,
    /**
     * Called once the pod ended: moves the log to its compact archive, with the chunks that never
     * reached the stream, and says whether there is a stream at all.
     */
    private readonly archive: (unstreamed: LogChunk[], streamed: boolean) => Promise<void> = async () => undefined,
  ) {}

  /** The pod ended: archives the log with what is still buffered. Never throws. */
  async finish(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    // Ids continue the stream's, so a follower that read the stream resumes in the archive.
    const [lastMs = 0, lastSeq = 0] = (this.stored[this.stored.length - 1]?.id ?? '0-0').split('-').map(Number);
    const unstreamed = this.pending.map((e, i): LogChunk => ({ id: `${lastMs}-${lastSeq + 1 + i}`, container: e.c, stream: e.s, time: e.t, data: e.d.toString('utf8') }));
    this.pending = [];
    await this.archive(unstreamed, this.stored.length > 0).catch(() => undefined);
  }

  write(container: string, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK_BYTES) {
      this.pending.push({ c: container, s: stream, t: Date.now(), d: chunk.subarray(offset, offset + MAX_CHUNK_BYTES) });
    }
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Writes what is buffered; safe to call at any time, never throws (a log must not fail a pod). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.store(batch)).catch(() => undefined);
    return this.flushing;
  }

  private async store(batch: { c: string; s: 'stdout' | 'stderr'; t: number; d: Buffer }[]): Promise<void> {
    if (batch.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const e of batch) pipeline.xadd(this.key, '*', 'c', e.c, 's', e.s, 't', String(e.t), 'd', e.d);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, id], i) => {
      if (!err && typeof id === 'string') {
        const size = batch[i]?.d.length ?? 0;
        this.stored.push({ id, size });
        this.storedBytes += size;
      }
    });
    await this.trim();
  }

  private async trim(): Promise<void> {
    let dropped = false;
    while (this.storedBytes > this.maxBytes && this.stored.length > 1) {
      this.storedBytes -= this.stored.shift()?.size ?? 0;
      dropped = true;
    }
    const oldestKept = this.stored[0];
    if (dropped && oldestKept) await this.redis.xtrim(this.key, 'MINID', oldestKept.id);
  }
}
