import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '@jobfleet/kube';
import type { Keys } from '@jobfleet/store';

export interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  ns: string;
  name: string;
  /** The object's JSON as stored. */
  obj: string;
}

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
   * The subscription ended from the feed's side: ResourceVersionTooOldError when changes were lost
   * for it (trimmed from the stream before it read them, or the store was reset), else a store error.
   * Called at most once; nothing comes after it.
   */
  end?(error: Error): void;
}

/** Turns a stored object (possibly compressed, see PodCodec) into JSON with its resourceVersion. */
export type ObjectDecoder = (obj: string, dictId: string, rv: string) => Promise<string | undefined>;

export type FeedKeys = Pick<Keys, 'rv' | 'changes' | 'changesInfo' | 'epoch'>;

export interface ChangeFeedOptions {
  decode?: ObjectDecoder;
  /** Largest stored object (JobStore.maxObjectBytes): sizes the reads so one read holds at most pageBytes. */
  maxObjectBytes?: number;
  /** Bytes of changes one read of the live reader may bring at most (default 16 MiB; one reader per process). */
  pageBytes?: number;
  /** Bytes of changes one page of a subscriber's history replay may bring at most (default 8 MiB; one page per replaying subscriber). */
  historyPageBytes?: number;
  /** The longest a blocking read waits before the feed checks the store again (default 1 s): bounds how late a reset is seen. */
  checkIntervalMs?: number;
}

const asStored: ObjectDecoder = async (obj) => obj;
const DEFAULT_PAGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_HISTORY_PAGE_BYTES = 8 * 1024 * 1024;
const READY_WAIT_MS = 5_000;

type StreamEntry = [id: string, fields: string[]];

const rvOf = (id: string) => Number(id.split('-')[0]);

/** The change of a stream entry; undefined when its object can no longer be read (its Job, with the dictionary, is gone). */
async function toChange(id: string, fields: string[], decode: ObjectDecoder): Promise<Change | undefined> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] ?? ''] = fields[i + 1] ?? '';
  const rv = id.split('-')[0] ?? '0';
  const obj = await decode(f.o ?? '', f.d ?? '', rv);
  if (obj === undefined) return undefined;
  return { rv: Number(rv), type: f.t as Change['type'], kind: f.k ?? '', ns: f.ns ?? '', name: f.n ?? '', obj };
}

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
  private readonly decode: ObjectDecoder;
  private readonly pageEntries: number;
  private readonly historyPageEntries: number;
  private readonly checkIntervalMs: number;
  private lastId = '$';
  /** resourceVersion of the last entry dispatched live (the start of the stream's tail at first). */
  private position = 0;
  private epoch: string | undefined;
  private stopped = false;
  private loop?: Promise<void>;
  private markReady: () => void = () => undefined;
  /** Resolves once the live reader knows where it starts: history reads must not begin before. */
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly blocking: Redis,
    private readonly reader: Redis,
    private readonly keys: FeedKeys,
    options: ChangeFeedOptions = {},
  ) {
    this.decode = options.decode ?? asStored;
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
    this.blocking.disconnect();
    await this.loop?.catch(() => undefined);
  }

  /** Subscribers now open (live or replaying history). */
  get size(): number {
    return this.subscriptions.size;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.lastId === '$') {
          await this.checkStore([]);
          const last = (await this.reader.xrevrange(this.keys.changes, '+', '-', 'COUNT', 1)) as StreamEntry[];
          this.lastId = last[0]?.[0] ?? '0-0';
          this.position = rvOf(this.lastId);
          this.markReady();
        }
        const reply = (await this.blocking.xread('COUNT', this.pageEntries, 'BLOCK', this.checkIntervalMs, 'STREAMS', this.keys.changes, this.lastId)) as
          | [string, StreamEntry[]][]
          | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (!(await this.checkStore(entries))) continue;
        for (const [id, fields] of entries) {
          // A Redis error here leaves lastId before this entry: the retry reads it again.
          const change = await toChange(id, fields, this.decode);
          this.lastId = id;
          this.position = rvOf(id);
          if (change) this.dispatch(change);
        }
      } catch {
        if (!this.stopped) await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private dispatch(change: Change): void {
    for (const sub of this.subscriptions) {
      if (!sub.live || change.rv <= sub.delivered) continue;
      sub.delivered = change.rv;
      try {
        void Promise.resolve(sub.listener.change(change)).catch((err: unknown) => this.end(sub, err));
      } catch (err) {
        this.end(sub, err);
      }
    }
  }

  /**
   * Checks, after a read of the stream and before dispatching `entries`, that the store was not
   * reset and that nothing was trimmed before the feed read it. False when `entries` must be dropped.
   */
  private async checkStore(entries: StreamEntry[]): Promise<boolean> {
    type Reply = [unknown, string | null];
    const replies = (await this.reader.multi().get(this.keys.epoch).get(this.keys.rv).hget(this.keys.changesInfo, 'trimmed').exec()) as [Reply, Reply, Reply];
    const [[, named], [, counter], [, trimmed]] = replies;
    let epoch = named;
    if (!epoch) {
      // A new store, one from before epochs, or a reset one: the first process to look names it.
      await this.reader.set(this.keys.epoch, randomUUID(), 'NX');
      epoch = await this.reader.get(this.keys.epoch);
    }
    const known = this.epoch;
    this.epoch = epoch ?? undefined;
    const last = entries.length > 0 ? rvOf(entries[entries.length - 1]?.[0] ?? '') : this.position;
    if (known !== undefined && (epoch !== known || Number(counter ?? 0) < Math.max(last, this.position))) {
      this.reset(`the store was reset: its resourceVersion is now ${Number(counter ?? 0)}`);
      return false;
    }
    const first = entries[0] ? rvOf(entries[0][0]) : Infinity;
    if (this.lastId !== '$' && first > this.position + 1 && Number(trimmed ?? 0) > this.position) {
      // Changes after the feed's position were trimmed before it read them: no live subscriber can have them.
      const lost = `the changes after it were trimmed from the stream (${Number(trimmed)})`;
      for (const sub of [...this.subscriptions]) if (sub.live) this.end(sub, new ResourceVersionTooOldError(`too old resource version: ${sub.delivered}: ${lost}`));
    }
    return true;
  }

  /** Ends every subscriber with 410 and follows the new stream from its start. */
  private reset(why: string): void {
    for (const sub of [...this.subscriptions]) this.end(sub, new ResourceVersionTooOldError(`too old resource version: ${sub.delivered} (${why})`));
    this.lastId = '0-0';
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
    const [[, counter], [, trimmed], [, oldest]] = (await this.reader
      .multi()
      .get(this.keys.rv)
      .hget(this.keys.changesInfo, 'trimmed')
      .xrange(this.keys.changes, '-', '+', 'COUNT', 1)
      .exec()) as [[unknown, string | null], [unknown, string | null], [unknown, StreamEntry[]]];
    const current = Number(counter ?? 0);
    if (fromRv > current) {
      throw new ResourceVersionTooOldError(`too old resource version: ${fromRv} (the store was reset: its resourceVersion is now ${current})`);
    }
    const oldestRv = oldest[0] ? rvOf(oldest[0][0]) : undefined;
    const gone = Math.max(Number(trimmed ?? 0), oldestRv === undefined ? 0 : oldestRv - 1);
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
      const page = (await this.reader.xrange(this.keys.changes, `(${sub.readUpTo}-0`, '+', 'COUNT', this.historyPageEntries)) as StreamEntry[];
      if (sub.closed) return;
      const first = page[0] ? rvOf(page[0][0]) : Infinity;
      if (first > sub.readUpTo + 1) await this.assertKept(sub.readUpTo);
      if (page.length === 0) {
        // The live reader is ahead of an empty tail: the stream went away under it (a reset it will see).
        sub.live = true;
        return;
      }
      for (const [id, fields] of page) {
        const change = await toChange(id, fields, this.decode);
        if (sub.closed) return;
        const rv = rvOf(id);
        if (change && rv > sub.delivered) {
          sub.delivered = rv;
          await sub.listener.change(change);
          if (sub.closed) return;
        }
        sub.readUpTo = Math.max(sub.readUpTo, rv);
      }
    }
  }
}
