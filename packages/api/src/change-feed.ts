import type { Redis } from 'ioredis';

export interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  ns: string;
  name: string;
  /** The object's JSON as stored. */
  obj: string;
}

export class ResourceVersionTooOldError extends Error {}

type Listener = (change: Change) => void;

/** Turns a stored object (possibly compressed, see PodCodec) into JSON with its resourceVersion. */
export type ObjectDecoder = (obj: string, dictId: string, rv: string) => Promise<string | undefined>;

const asStored: ObjectDecoder = async (obj) => obj;

/** The change of a stream entry; undefined when its object can no longer be read (its Job, with the dictionary, is gone). */
async function toChange(id: string, fields: string[], decode: ObjectDecoder): Promise<Change | undefined> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] ?? ''] = fields[i + 1] ?? '';
  const rv = id.split('-')[0] ?? '0';
  const obj = await decode(f.o ?? '', f.d ?? '', rv);
  if (obj === undefined) return undefined;
  return { rv: Number(rv), type: f.t as Change['type'], kind: f.k ?? '', ns: f.ns ?? '', name: f.n ?? '', obj };
}

/**
 * One blocking reader of the change stream per API process, fanned out to every watch in it, so a
 * thousand watches cost one Redis connection. Watches from an old resourceVersion read the
 * history first; one older than the stream keeps gets 410 Gone, as in Kubernetes.
 */
export class ChangeFeed {
  private readonly listeners = new Set<Listener>();
  private lastId = '$';
  private stopped = false;
  private loop?: Promise<void>;
  private markReady: () => void = () => undefined;
  /** Resolves once the live reader knows where it starts: history reads must not begin before. */
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly blocking: Redis,
    private readonly reader: Redis,
    private readonly streamKey: string,
    private readonly decode: ObjectDecoder = asStored,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.blocking.disconnect();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.lastId === '$') {
          const last = await this.reader.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
          this.lastId = last[0]?.[0] ?? '0-0';
          this.markReady();
        }
        const reply = (await this.blocking.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', this.streamKey, this.lastId)) as
          | [string, [string, string[]][]][]
          | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            // A Redis error here leaves lastId before this entry: the retry reads it again.
            const change = await toChange(id, fields, this.decode);
            this.lastId = id;
            if (change) for (const listener of this.listeners) listener(change);
          }
        }
      } catch {
        if (!this.stopped) await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * Calls `listener` with every change after `fromRv`, history first, then live, each once and in
   * order. Returns the unsubscribe function.
   */
  async subscribe(fromRv: number, listener: Listener): Promise<() => void> {
    let delivered = fromRv;
    const buffered: Change[] = [];
    let live = false;
    const deliver = (c: Change) => {
      if (c.rv <= delivered) return;
      delivered = c.rv;
      listener(c);
    };
    const onChange = (c: Change) => (live ? deliver(c) : buffered.push(c));
    await this.ready;
    this.listeners.add(onChange);
    try {
      const history = await this.history(fromRv);
      history.forEach(deliver);
      buffered.forEach(deliver);
      live = true;
    } catch (err) {
      this.listeners.delete(onChange);
      throw err;
    }
    return () => this.listeners.delete(onChange);
  }

  private async history(fromRv: number): Promise<Change[]> {
    const oldest = await this.reader.xrange(this.streamKey, '-', '+', 'COUNT', 1);
    const oldestRv = oldest[0] ? Number(oldest[0][0].split('-')[0]) : undefined;
    if (oldestRv !== undefined && fromRv + 1 < oldestRv) {
      throw new ResourceVersionTooOldError(`too old resource version: ${fromRv} (${oldestRv - 1})`);
    }
    const out: Change[] = [];
    let start = `${fromRv + 1}-0`;
    for (;;) {
      const page = await this.reader.xrange(this.streamKey, start, '+', 'COUNT', 1000);
      for (const [id, fields] of page) {
        const change = await toChange(id, fields, this.decode);
        if (change) out.push(change);
      }
      const last = page[page.length - 1];
      if (page.length < 1000 || !last) return out;
      start = `(${last[0]}`;
    }
  }
}
