import { DEFAULT_JOB_LOG_MAX_BYTES, DEFAULT_POD_LOG_MAX_BYTES, type LogWriteResult, type NewLogChunk } from '@jobfleet/store';

export { DEFAULT_JOB_LOG_MAX_BYTES, DEFAULT_POD_LOG_MAX_BYTES };
const FLUSH_INTERVAL_MS = 100;
/** Largest stream entry: a longer write of the container is split. */
const MAX_CHUNK_BYTES = 64 * 1024;

/**
 * Where a pod's output goes: appends chunks to its log (the archive at its end goes with its final
 * status: takeLast). In the worker, `PodLogs.write` for one pod, which writes only while the pod
 * exists and keeps the per-pod and per-Job bounds.
 */
interface PendingChunk {
  container: string;
  /** The container's restartCount when it wrote the output. */
  instance: number;
  stream: 'stdout' | 'stderr';
  time: number;
  parts: Buffer[];
  size: number;
}

export type PodLogSink = (chunks: NewLogChunk[]) => Promise<LogWriteResult>;

/**
 * Copies a pod's container output into its log in Redis, so any API process can serve and
 * follow it, also after the worker is gone. Output is buffered for FLUSH_INTERVAL_MS and written
 * by one request at a time; what waits meanwhile is bounded by `maxPendingBytes` (the pod's own
 * log bound: older output would be dropped from the log anyway), the oldest going first, so a
 * slow Redis never makes a chatty container grow the worker's memory.
 */
export class PodLogWriter {
  private pending: PendingChunk[] = [];
  private pendingBytes = 0;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** The pod is gone (its Job was deleted) or its log was archived: output is dropped. */
  private closed = false;
  /** Whether any output was handed to the sink: a pod that printed nothing has no log to archive. */
  private wrote = false;
  /** Output dropped from the buffer while Redis was slow, in bytes. */
  droppedBytes = 0;

  constructor(
    private readonly sink: PodLogSink,
    private readonly maxPendingBytes = DEFAULT_POD_LOG_MAX_BYTES,
  ) {}

  /** `instance`: the container's restartCount (its run), so that `logs --previous` can tell runs apart. */
  write(container: string, stream: 'stdout' | 'stderr', chunk: Buffer, instance = 0): void {
    if (this.closed || chunk.length === 0) return;
    const time = Date.now();
    for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK_BYTES) {
      const data = chunk.subarray(offset, offset + MAX_CHUNK_BYTES);
      const last = this.pending[this.pending.length - 1];
      // Consecutive output of one container stream goes into one entry (each entry costs overhead).
      if (last && last.container === container && last.instance === instance && last.stream === stream && last.size + data.length <= MAX_CHUNK_BYTES) {
        last.parts.push(data);
        last.size += data.length;
      } else {
        this.pending.push({ container, instance, stream, time, parts: [data], size: data.length });
      }
      this.pendingBytes += data.length;
    }
    while (this.pendingBytes > this.maxPendingBytes && this.pending.length > 1) {
      const oldest = this.pending.shift();
      this.pendingBytes -= oldest?.size ?? 0;
      this.droppedBytes += oldest?.size ?? 0;
    }
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Writes what is buffered; safe to call at any time, never throws (a log must not fail a pod). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // One write at a time: output arriving meanwhile waits in the bounded buffer.
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * The pod ended: the output still buffered, for the caller to send with the log's archive call
   * (the worker sends it with the pod's final status, PodStatusReport.log); undefined when no
   * archive is needed (nothing was ever printed: no call at all, or the log is closed). Nothing is
   * written after. Never throws.
   */
  async takeLast(): Promise<NewLogChunk[] | undefined> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.closed) return undefined;
    this.closed = true;
    const last = this.takePending();
    return last.length > 0 || this.wrote ? last : undefined;
  }

  private takePending(): NewLogChunk[] {
    const chunks = this.pending.map(({ container, instance, stream, time, parts }): NewLogChunk => ({ container, stream, time, data: Buffer.concat(parts), ...(instance > 0 ? { instance } : {}) }));
    this.pending = [];
    this.pendingBytes = 0;
    return chunks;
  }

  private async drain(): Promise<void> {
    do {
      if (this.closed) return;
      const batch = this.takePending();
      if (batch.length === 0) return;
      this.wrote = true;
      try {
        const result = await this.sink(batch);
        if (result.status !== 'ok') this.closed = true;
      } catch {
        // Redis failed this write: the batch is lost, later output is still written.
      }
    } while (this.pending.length > 0);
  }
}
