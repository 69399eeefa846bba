import type { Redis } from 'ioredis';
import type { Keys } from '@jobfleet/spec';

export interface LogChunk {
  /** Stream entry id ("ms-seq"); a follower resumes after it. */
  id: string;
  container: string;
  stream: 'stdout' | 'stderr';
  /** When the worker received the chunk, ms. */
  time: number;
  data: string;
}

type ArchivedChunk = [id: string, time: number, container: string, stream: LogChunk['stream'], data: string];

function isAfter(id: string, after: string | undefined): boolean {
  if (!after) return true;
  const [ms = 0, seq = 0] = id.split('-').map(Number);
  const [afterMs = 0, afterSeq = 0] = after.split('-').map(Number);
  return ms > afterMs || (ms === afterMs && seq > afterSeq);
}

/**
 * A pod's log in Redis: a stream while the pod runs (so any API process can follow it), archived
 * into one compact string when the pod ends — a Redis stream costs kilobytes even for one line,
 * the archive a few dozen bytes. Readers see one sequence of chunks either way.
 */
export class PodLogs {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The chunks after `afterId` (all without it), from the stream or, once the pod ended, the archive. */
  async read(ns: string, name: string, afterId?: string): Promise<LogChunk[]> {
    const live = (await this.redis.xrange(this.keys.podLog(ns, name), afterId ? `(${afterId}` : '-', '+')) as [string, string[]][];
    if (live.length > 0) return live.map(([id, fields]) => fromStream(id, fields));
    const archived = await this.redis.get(this.keys.podLogArchive(ns, name));
    if (!archived) return [];
    return archived
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => fromArchive(JSON.parse(line) as ArchivedChunk))
      .filter((c) => isAfter(c.id, afterId));
  }

  /**
   * Moves a finished pod's log from its stream into the compact archive, atomically, with
   * `unstreamed` chunks (never written to the stream) after it. A short pod whose output never
   * reached the stream costs one write.
   */
  async archive(ns: string, name: string, unstreamed: LogChunk[] = [], streamed = true): Promise<void> {
    const streamKey = this.keys.podLog(ns, name);
    const fromStreamKey = streamed ? ((await this.redis.xrange(streamKey, '-', '+')) as [string, string[]][]).map(([id, fields]) => fromStream(id, fields)) : [];
    const chunks = [...fromStreamKey, ...unstreamed];
    if (chunks.length === 0) return;
    const text = chunks.map((c) => JSON.stringify([c.id, c.time, c.container, c.stream, c.data] satisfies ArchivedChunk)).join('\n');
    await this.redis.multi().set(this.keys.podLogArchive(ns, name), text).del(streamKey).exec();
  }
}

function fromStream(id: string, fields: string[]): LogChunk {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
  return { id, container: f.get('c') ?? '', stream: f.get('s') === 'stderr' ? 'stderr' : 'stdout', time: Number(f.get('t') ?? 0), data: f.get('d') ?? '' };
}

function fromArchive([id, time, container, stream, data]: ArchivedChunk): LogChunk {
  return { id, time, container, stream, data };
}
