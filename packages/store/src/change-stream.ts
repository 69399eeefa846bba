/**
 * Reading the change stream (the `changes` stream that every write script appends to, see
 * applyWrites-N.lua): its entries' encoding and the counters that tell a reset or a trim. The API's
 * ChangeFeed fans what this reads out to watches.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

export interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  ns: string;
  name: string;
  /** The object's JSON as stored. */
  obj: string;
}

/** A change as its stream entry names it, its object still as stored. */
export interface ChangeHead extends Omit<Change, 'obj'> {
  stored: string;
  /** The compression dictionary's id ('' for an object stored as JSON). */
  dictId: string;
}

/** Turns a stored object (possibly compressed, see PodCodec) into JSON with its resourceVersion. */
export type ObjectDecoder = (obj: string, dictId: string, rv: string) => Promise<string | undefined>;

export type ChangeStreamKeys = Pick<Keys, 'rv' | 'changes' | 'changesInfo' | 'epoch'>;

/** One entry of the stream as read: its resourceVersion and its fields, not decoded yet. */
export interface StreamEntry {
  rv: number;
  fields: string[];
}

/** What tells whether the store was reset or trimmed. */
export interface StreamState {
  /** The store's random id (named here when it had none). */
  epoch: string | undefined;
  /** The resourceVersion counter. */
  counter: number;
  /** The highest resourceVersion trimmed from the stream. */
  trimmed: number;
}

const asStored: ObjectDecoder = async (obj) => obj;
type RawEntry = [id: string, fields: string[]];
const rvOf = (id: string) => Number(id.split('-')[0]);
const entry = ([id, fields]: RawEntry): StreamEntry => ({ rv: rvOf(id), fields });

/** The change stream of one store, read through a blocking connection (live reads) and an ordinary one. */
export class ChangeStream {
  private readonly decoder: ObjectDecoder;

  constructor(
    private readonly blocking: Redis,
    private readonly reader: Redis,
    private readonly keys: ChangeStreamKeys,
    decode?: ObjectDecoder,
  ) {
    this.decoder = decode ?? asStored;
  }

  /** The resourceVersion of the last entry (0 when the stream is empty). */
  async lastRv(): Promise<number> {
    const last = (await this.reader.xrevrange(this.keys.changes, '+', '-', 'COUNT', 1)) as RawEntry[];
    return last[0] ? rvOf(last[0][0]) : 0;
  }

  /**
   * Entries after `afterRv`, at most `count`, waiting up to `blockMs` for the first, and the
   * stream's state read right after them (in the same request: Redis runs the reads of the state
   * once the blocking read has returned).
   */
  async readLive(afterRv: number, count: number, blockMs: number): Promise<{ entries: StreamEntry[]; state: StreamState }> {
    const replies = (await this.blocking
      .pipeline()
      .xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.keys.changes, `${afterRv}-0`)
      .get(this.keys.epoch)
      .get(this.keys.rv)
      .hget(this.keys.changesInfo, 'trimmed')
      .exec()) as [Error | null, unknown][] | null;
    if (!replies) throw new Error('the change stream read was not answered');
    const [read, named, counter, trimmed] = replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [[string, RawEntry[]][] | null, string | null, string | null, string | null];
    return { entries: (read?.[0]?.[1] ?? []).map(entry), state: await this.toState(named, counter, trimmed) };
  }

  /** Entries after `afterRv`, at most `count`, without waiting. */
  async range(afterRv: number, count: number): Promise<StreamEntry[]> {
    return ((await this.reader.xrange(this.keys.changes, `(${afterRv}-0`, '+', 'COUNT', count)) as RawEntry[]).map(entry);
  }

  /** The epoch, counter and trim mark; a store without an epoch (new, or reset) is named by the first reader. */
  async state(): Promise<StreamState> {
    type Reply = [unknown, string | null];
    const replies = (await this.reader.multi().get(this.keys.epoch).get(this.keys.rv).hget(this.keys.changesInfo, 'trimmed').exec()) as [Reply, Reply, Reply];
    const [[, named], [, counter], [, trimmed]] = replies;
    return this.toState(named, counter, trimmed);
  }

  private async toState(named: string | null, counter: string | null, trimmed: string | null): Promise<StreamState> {
    // A new store, one from before epochs, or a reset one: the first process to look names it.
    let epoch = named;
    if (!epoch) {
      await this.reader.set(this.keys.epoch, randomUUID(), 'NX');
      epoch = await this.reader.get(this.keys.epoch);
    }
    return { epoch: epoch ?? undefined, counter: Number(counter ?? 0), trimmed: Number(trimmed ?? 0) };
  }

  /** The counter, the trim mark and the oldest entry's resourceVersion, read atomically. */
  async kept(): Promise<{ counter: number; trimmed: number; oldestRv: number | undefined }> {
    const [[, counter], [, trimmed], [, oldest]] = (await this.reader
      .multi()
      .get(this.keys.rv)
      .hget(this.keys.changesInfo, 'trimmed')
      .xrange(this.keys.changes, '-', '+', 'COUNT', 1)
      .exec()) as [[unknown, string | null], [unknown, string | null], [unknown, RawEntry[]]];
    return { counter: Number(counter ?? 0), trimmed: Number(trimmed ?? 0), oldestRv: oldest[0] ? rvOf(oldest[0][0]) : undefined };
  }

  /** What an entry says of its change, read from its fields alone: its object is not decoded (inflated) yet. */
  head(e: StreamEntry): ChangeHead {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < e.fields.length; i += 2) f[e.fields[i] ?? ''] = e.fields[i + 1] ?? '';
    return { rv: e.rv, type: f.t as Change['type'], kind: f.k ?? '', ns: f.ns ?? '', name: f.n ?? '', stored: f.o ?? '', dictId: f.d ?? '' };
  }

  /** The change of an entry; undefined when its object can no longer be read (its Job, with the dictionary, is gone). */
  async decode(head: ChangeHead): Promise<Change | undefined> {
    const { stored, dictId, ...change } = head;
    const obj = await this.decoder(stored, dictId, String(head.rv));
    return obj === undefined ? undefined : { ...change, obj };
  }

  /** Ends a blocking read under way (the feed stops). */
  stop(): void {
    this.blocking.disconnect();
  }
}
