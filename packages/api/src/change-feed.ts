import { ServiceUnavailableError } from '@jobfleet/kube';
import type { Change, ChangeHead, ChangeStream, StreamState } from '@jobfleet/store';

export type { Change };

/** The changes after a resourceVersion can no longer all be delivered: 410 Gone (reason Expired), the client lists again. */
export class ResourceVersionTooOldError extends Error {}

/** What a subscriber of the feed is told. */
export interface FeedListener {
  /**
   * A change after the subscriber's resourceVersion; changes come in order, each once. While the
   * history is replayed, the next change waits for the promise returned (the client's
   * backpressure); live changes never wait: a subscriber that cannot keep up must end itself.
   */
  change(change: Change): void | Promise<void>;
  /**
   * Whether the subscriber wants a change of this kind in this namespace (default: every change).
   * One nobody wants is never decoded (its object inflated): only `passed` hears of it.
   */
  wants?(kind: string, ns: string): boolean;
  /** A change the subscriber did not want went by, in its place in the order (a watch's bookmark names the last one). */
  passed?(rv: number): void;
  /**
   * The subscription ended from the feed's side: ResourceVersionTooOldError when changes were lost
   * for it (trimmed from the stream before it read them, or the store was reset), else a store error.
   * Called at most once; nothing comes after it.
   */
  end?(error: Error): void;
}

export interface ChangeFeedOptions {
  /** Largest stored object (JobStore.maxObjectBytes): sizes the reads so one read holds at most pageBytes. */
  maxObjectBytes?: number;
  /** Bytes of changes one read of the live reader may bring at most (default 16 MiB; one reader per process). */
  pageBytes?: number;
  /** Bytes of changes one page of a subscriber's history replay may bring at most (default 8 MiB; one page per replaying subscriber). */
  historyPageBytes?: number;
  /** The longest a blocking read waits before the feed checks the store again (default 1 s): bounds how late a reset is seen. */
  checkIntervalMs?: number;
}

const DEFAULT_PAGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_HISTORY_PAGE_BYTES = 8 * 1024 * 1024;
const READY_WAIT_MS = 5_000;

interface Subscription {
  listener: FeedListener;
  /** Last resourceVersion handed to the listener. */
  delivered: number;
  /** Last stream entry the history replay read. */
  readUpTo: number;
  live: boolean;
  closed: boolean;
}

/**
 * One blocking reader of the change stream per API process, fanned out to every watch in it, so a
 * thousand watches cost one Redis connection. A watch from an old resourceVersion replays the
 * history page by page at its client's pace, then joins the live fan-out; one older than the stream
 * keeps gets 410 Gone, as in Kubernetes. The feed never buffers for a subscriber: what the live
 * fan-out hands out is the subscriber's to bound.
 *
 * A reset store (Redis flushed or restarted empty: its epoch key is gone or different, or the
 * resourceVersion counter went backwards) ends every subscriber with 410 so that clients list
 * again, and the feed follows the new stream; so does a stream trimmed past what the feed had read.
 */
export class ChangeFeed {
  private readonly subscriptions = new Set<Subscription>();
  private readonly pageEntries: number;
  private readonly historyPageEntries: number;
  private readonly checkIntervalMs: number;
  /** Whether the live reader knows where it starts. */
  private started = false;
  /** resourceVersion of the last entry read live (the start of the stream's tail at first). */
  private position = 0;
  private epoch: string | undefined;
  private stopped = false;
  private loop?: Promise<void>;
  private markReady: () => void = () => undefined;
  /** Resolves once the live reader knows where it starts: history reads must not begin before. */
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly stream: ChangeStream,
    options: ChangeFeedOptions = {},
  ) {
    // Entries per read such that a read of entries of the largest size stays within the budget.
    const entryBytes = Math.max(1, options.maxObjectBytes ?? 1.5 * 1024 * 1024);
    const entries = (bytes: number) => Math.max(1, Math.min(1000, Math.floor(bytes / entryBytes)));
    this.pageEntries = entries(options.pageBytes ?? DEFAULT_PAGE_BYTES);
    this.historyPageEntries = entries(options.historyPageBytes ?? DEFAULT_HISTORY_PAGE_BYTES);
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream.stop();
    await this.loop?.catch(() => undefined);
  }

  /** Subscribers now open (live or replaying history). */
  get size(): number {
    return this.subscriptions.size;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.started) {
          this.checkStore([], await this.stream.state());
          this.position = await this.stream.lastRv();
          this.started = true;
          this.markReady();
        }
        const { entries, state } = await this.stream.readLive(this.position, this.pageEntries, this.checkIntervalMs);
        if (!this.checkStore(entries, state)) continue;
        for (const entry of entries) {
          const head = this.stream.head(entry);
          // A change no live subscriber wants is not decoded. Between this check and the dispatch
          // only the decoding awaits: a subscriber that goes live meanwhile is one the dispatch sees
          // (and a change it wants was decoded); without the await, nothing can go live in between.
          let change: Change | undefined;
          // A Redis error here leaves the position before this entry: the retry reads it again.
          if (this.wanted(head)) change = await this.stream.decode(head);
          this.position = entry.rv;
          this.dispatch(head, change);
        }
      } catch {
        if (!this.stopped) await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private wanted(head: ChangeHead): boolean {
    for (const sub of this.subscriptions) if (sub.live && wants(sub, head)) return true;
    return false;
  }

  /**
   * Hands a live change to each live subscriber: whole to those that want it, as passed to the
   * others. A change someone wants was decoded (`change`, undefined when its object can no longer
   * be read: then it is left out, as a deleted Job's pods are).
   */
  private dispatch(head: ChangeHead, change: Change | undefined): void {
    for (const sub of this.subscriptions) {
      if (!sub.live || head.rv <= sub.delivered) continue;
      sub.delivered = head.rv;
      try {
        if (!wants(sub, head)) sub.listener.passed?.(head.rv);
        else if (change) void Promise.resolve(sub.listener.change(change)).catch((err: unknown) => this.end(sub, err));
      } catch (err) {
        this.end(sub, err);
      }
    }
  }

  /**
   * Checks, after a read of the stream and before dispatching `entries`, that the store was not
   * reset and that nothing was trimmed before the feed read it. False when `entries` must be dropped.
   */
  private checkStore(entries: readonly { rv: number }[], { epoch, counter, trimmed }: StreamState): boolean {
    const known = this.epoch;
    this.epoch = epoch;
    const last = entries.length > 0 ? (entries[entries.length - 1]?.rv ?? 0) : this.position;
    if (known !== undefined && (epoch !== known || counter < Math.max(last, this.position))) {
      this.reset(`the store was reset: its resourceVersion is now ${counter}`);
      return false;
    }
    const first = entries[0] ? entries[0].rv : Infinity;
    if (this.started && first > this.position + 1 && trimmed > this.position) {
      // Changes after the feed's position were trimmed before it read them: no live subscriber can have them.
      const lost = `the changes after it were trimmed from the stream (${trimmed})`;
      for (const sub of [...this.subscriptions]) if (sub.live) this.end(sub, new ResourceVersionTooOldError(`too old resource version: ${sub.delivered}: ${lost}`));
    }
    return true;
  }

  /** Ends every subscriber with 410 and follows the new stream from its start. */
  private reset(why: string): void {
    for (const sub of [...this.subscriptions]) this.end(sub, new ResourceVersionTooOldError(`too old resource version: ${sub.delivered} (${why})`));
    this.position = 0;
  }

  private end(sub: Subscription, error: unknown): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subscriptions.delete(sub);
    sub.listener.end?.(error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * Delivers to `listener` every change after `fromRv`, history first, then live, each once and in
   * order. Rejects with ResourceVersionTooOldError when changes after `fromRv` are already gone (or
   * `fromRv` is from before a reset of the store); errors later go to `listener.end`. Resolves with
   * the unsubscribe function once the subscription started (the history replay goes on after).
   */
  async subscribe(fromRv: number, listener: FeedListener | ((change: Change) => void)): Promise<() => void> {
    const l: FeedListener = typeof listener === 'function' ? { change: listener } : listener;
    await this.untilReady();
    await this.assertKept(fromRv);
    const sub: Subscription = { listener: l, delivered: fromRv, readUpTo: fromRv, live: false, closed: false };
    this.subscriptions.add(sub);
    void this.replay(sub).catch((err: unknown) => this.end(sub, err));
    return () => {
      sub.closed = true;
      this.subscriptions.delete(sub);
    };
  }

  /**
   * Waits (at most READY_WAIT_MS) until the feed knows its store (it named the store's epoch) and
   * where the live stream starts; ServiceUnavailableError when Redis does not answer meanwhile.
   */
  async untilReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), READY_WAIT_MS)));
    const outcome = await Promise.race([this.ready, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new ServiceUnavailableError('the jobfleet store (Redis) is not reachable; retry when it is back');
  }

  /** 410 when a change after `fromRv` is no longer in the stream, or `fromRv` was never issued by this store. */
  private async assertKept(fromRv: number): Promise<void> {
    const { counter: current, trimmed, oldestRv } = await this.stream.kept();
    if (fromRv > current) {
      throw new ResourceVersionTooOldError(`too old resource version: ${fromRv} (the store was reset: its resourceVersion is now ${current})`);
    }
    const gone = Math.max(trimmed, oldestRv === undefined ? 0 : oldestRv - 1);
    if (gone > fromRv) throw new ResourceVersionTooOldError(`too old resource version: ${fromRv} (${gone})`);
  }

  /** Reads the history page by page at the listener's pace until it has caught up with the live reader. */
  private async replay(sub: Subscription): Promise<void> {
    for (;;) {
      // Synchronous from this check to `live = true`: the live reader cannot slip a change in between.
      if (sub.closed) return;
      if (sub.readUpTo >= this.position) {
        sub.live = true;
        return;
      }
      const page = await this.stream.range(sub.readUpTo, this.historyPageEntries);
      if (sub.closed) return;
      const first = page[0] ? page[0].rv : Infinity;
      if (first > sub.readUpTo + 1) await this.assertKept(sub.readUpTo);
      if (page.length === 0) {
        // The live reader is ahead of an empty tail: the stream went away under it (a reset it will see).
        sub.live = true;
        return;
      }
      for (const entry of page) {
        const head = this.stream.head(entry);
        const change = wants(sub, head) ? await this.stream.decode(head) : undefined;
        if (sub.closed) return;
        const rv = entry.rv;
        if (rv > sub.delivered) {
          sub.delivered = rv;
          if (change) await sub.listener.change(change);
          else if (!wants(sub, head)) sub.listener.passed?.(rv);
          if (sub.closed) return;
        }
        sub.readUpTo = Math.max(sub.readUpTo, rv);
      }
    }
  }
}

function wants(sub: Subscription, head: ChangeHead): boolean {
  return sub.listener.wants?.(head.kind, head.ns) ?? true;
}
