import type { ChainableCommander, Redis } from 'ioredis';
import { podDictionaryId, type Keys } from './keys.js';
import { defineScript } from './scripts.js';
import { newWriteId } from './write-id.js';

export interface LogChunk {
  /** Stream entry id; a follower resumes after it. */
  id: string;
  container: string;
  stream: 'stdout' | 'stderr';
  /** When the worker received the chunk, ms. */
  time: number;
  data: string;
  /** Which run of the container wrote it: its restartCount then (0 for the first run). */
  instance: number;
}

/** Output of a container, as a worker hands it to the log. */
export interface NewLogChunk {
  container: string;
  stream: 'stdout' | 'stderr';
  time: number;
  data: Buffer;
  /** The container's restartCount when it wrote the chunk (default 0): `logs --previous` reads the run before the current one. */
  instance?: number;
}

/** Which pod a log belongs to: the write is refused unless this very pod (of this Job) exists. */
export interface PodLogTarget {
  ns: string;
  name: string;
  podUid: string;
  /** The owning Job's uid ('' for a pod without one). */
  jobUid: string;
}

export interface LogLimits {
  /** Bytes one pod's log keeps, as stored (oldest output goes first). */
  podMaxBytes: number;
  /** Bytes all the pods of one Job keep together (0: no budget); past it new output is dropped. */
  jobMaxBytes: number;
}

/** Bytes a pod's log keeps by default, as stored: the oldest output goes first past it (like a rotated kubelet log). */
export const DEFAULT_POD_LOG_MAX_BYTES = 1024 * 1024;
/** Bytes all the pods of one Job keep by default. */
export const DEFAULT_JOB_LOG_MAX_BYTES = 64 * 1024 * 1024;
/** Smallest per-pod bound (a smaller setting counts as this): an entry must fit, its data and its share of Redis' overhead. */
export const MIN_POD_LOG_MAX_BYTES = 4 * 1024;

/** What a pod's log still needs at its end: its last output, and the archive. */
export interface PodLogFinish {
  target: PodLogTarget;
  limits: LogLimits;
  chunks: NewLogChunk[];
}

export type LogWriteStatus = 'ok' | 'gone' | 'finished';

export interface LogWriteResult {
  status: LogWriteStatus;
  /** Chunks stored (the others were dropped for the Job's budget). */
  stored: number;
  droppedBytes: number;
}

/** The marker line a pod's log gets where output was dropped for its Job's log budget. */
export function budgetMarker(limits: LogLimits): string {
  return `[jobfleet] the log budget of this Job (${limits.jobMaxBytes} bytes, JOBFLEET_JOB_LOG_MAX_BYTES) is used up: output dropped from here on\n`;
}

const ARCHIVE_MAGIC = 'JFL1\n';

interface LogRedis extends Redis {
  writePodLog(...args: WritePodLogArgs): Promise<[string, number, number]>;
}

/**
 * A pod's log in Redis: a stream while the pod runs (so any API process can follow it), archived
 * into one compact binary-safe string in the pod's hash when the pod ends — a Redis stream costs
 * kilobytes even for one line, the archive a few dozen bytes. Readers see one sequence of chunks
 * either way. Every write goes through writePodLog-4.lua: only while the pod exists, bounded per
 * pod and per Job in bytes as stored.
 */
export class PodLogs {
  private readonly redis: LogRedis;

  constructor(
    redis: Redis,
    private readonly keys: Keys,
  ) {
    defineScript(redis, 'writePodLog', 'writePodLog-4.lua');
    this.redis = redis as LogRedis;
  }

  /** The chunks after `afterId` (all without it), from the stream or, once the pod ended, the archive. */
  async read(ns: string, name: string, afterId?: string): Promise<LogChunk[]> {
    // One request: the stream, and the archive (field l of the pod's hash; a pod archived before
    // that has it as a key of its own).
    const [[, live] = [], [, inHash] = [], [, ownKey] = []] = ((await this.redis
      .pipeline()
      .xrangeBuffer(this.keys.podLog(ns, name), afterId ? `(${afterId}` : '-', '+')
      .hgetBuffer(this.keys.pod(ns, name), 'l')
      .getBuffer(this.keys.podLogArchive(ns, name))
      .exec()) ?? []) as [[unknown, [Buffer, Buffer[]][] | null]?, [unknown, Buffer | null]?, [unknown, Buffer | null]?];
    if (live && live.length > 0) return live.map(([id, fields]) => fromStream(String(id), fields));
    const archived = inHash ?? ownKey;
    if (!archived) return [];
    return parseArchive(archived).filter((c) => isAfter(c.id, afterId));
  }

  /**
   * Appends chunks to the pod's log; with `finish`, then archives it (nothing is appended after).
   * Nothing is written when the pod is gone (status "gone").
   */
  async write(target: PodLogTarget, limits: LogLimits, chunks: NewLogChunk[], finish = false): Promise<LogWriteResult> {
    const [status, stored, droppedBytes] = await this.redis.writePodLog(...this.writeArgs(target, limits, chunks, finish));
    return { status: status as LogWriteStatus, stored: Number(stored), droppedBytes: Number(droppedBytes) };
  }

  /** The same write (with finish) added to a pipeline, sent with what else the pipeline holds; its answer is not read. */
  finishIn(pipeline: ChainableCommander, { target, limits, chunks }: PodLogFinish): void {
    (pipeline as ChainableCommander & { writePodLog(...args: WritePodLogArgs): ChainableCommander }).writePodLog(...this.writeArgs(target, limits, chunks, true));
  }

  private writeArgs(target: PodLogTarget, limits: LogLimits, chunks: NewLogChunk[], finish: boolean): WritePodLogArgs {
    const { ns, name } = target;
    // A pod without a Job (none is made so) has no Job budget to share.
    const jobMaxBytes = target.jobUid ? limits.jobMaxBytes : 0;
    const podMaxBytes = Math.max(MIN_POD_LOG_MAX_BYTES, limits.podMaxBytes);
    // The write id: ioredis resends a call whose reply was lost, and the script answers it without appending twice.
    // The pod must be this Job's: its hash names the Job's dictionary (a pod written before the ids were short, by the uid, takes no more output).
    const args: (string | number | Buffer)[] = [finish ? 'finish' : 'append', target.jobUid ? podDictionaryId(target.jobUid) : '', target.podUid, podMaxBytes, jobMaxBytes, budgetMarker(limits), newWriteId()];
    for (const c of chunks) args.push(c.container, c.stream, String(c.time), c.data, String(instanceOf(c.instance)));
    return [this.keys.pod(ns, name), this.keys.podLog(ns, name), this.keys.podLogArchive(ns, name), this.keys.jobLogBytes(target.jobUid), ...args];
  }
}

type WritePodLogArgs = [pod: string, stream: string, archive: string, jobBytes: string, ...args: (string | number | Buffer)[]];

/** A restart count as the log stores it: a small non-negative integer, anything else counts as 0. */
function instanceOf(value: unknown): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function isAfter(id: string, after: string | undefined): boolean {
  if (!after) return true;
  const [ms = 0, seq = 0] = id.split('-').map(Number);
  const [afterMs = 0, afterSeq = 0] = after.split('-').map(Number);
  return ms > afterMs || (ms === afterMs && seq > afterSeq);
}

function fromStream(id: string, fields: Buffer[]): LogChunk {
  const f = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), fields[i + 1] ?? Buffer.alloc(0));
  return {
    id,
    container: String(f.get('c') ?? ''),
    stream: String(f.get('s') ?? '') === 'stderr' ? 'stderr' : 'stdout',
    time: Number(String(f.get('t') ?? '0')) || 0,
    data: (f.get('d') ?? Buffer.alloc(0)).toString('utf8'),
    instance: instanceOf(String(f.get('r') ?? '0')),
  };
}

/**
 * The chunks of an archive: "JFL1\n" then "<id> <time> <container> <stream> <length>[ <instance>]\n<data>"
 * per chunk (no instance: 0); older archives are JSON lines. Whatever is malformed ends the reading (hostile or torn
 * data never throws).
 */
export function parseArchive(archive: Buffer): LogChunk[] {
  if (!archive.subarray(0, ARCHIVE_MAGIC.length).equals(Buffer.from(ARCHIVE_MAGIC))) return parseJsonLines(archive.toString('utf8'));
  const out: LogChunk[] = [];
  let at = ARCHIVE_MAGIC.length;
  while (at < archive.length) {
    const eol = archive.indexOf(0x0a, at);
    if (eol < 0) break;
    const [id = '', time = '0', container = '', stream = '', length = '', instance = '0'] = archive.subarray(at, eol).toString('utf8').split(' ');
    const size = Number(length);
    if (!Number.isSafeInteger(size) || size < 0 || eol + 1 + size > archive.length) break;
    out.push({ id, time: Number(time) || 0, container, stream: stream === 'stderr' ? 'stderr' : 'stdout', data: archive.subarray(eol + 1, eol + 1 + size).toString('utf8'), instance: instanceOf(instance) });
    at = eol + 1 + size;
  }
  return out;
}

type ArchivedChunk = [id: string, time: number, container: string, stream: LogChunk['stream'], data: string];

function parseJsonLines(text: string): LogChunk[] {
  const out: LogChunk[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      const [id, time, container, stream, data] = JSON.parse(line) as ArchivedChunk;
      out.push({ id: String(id), time: Number(time) || 0, container: String(container), stream: stream === 'stderr' ? 'stderr' : 'stdout', data: String(data), instance: 0 });
    } catch {
      break;
    }
  }
  return out;
}
