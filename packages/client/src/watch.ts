/**
 * Following one Job's state changes over the Kubernetes watch protocol:
 * GET the Job, then `?watch=1&resourceVersion=RV&fieldSelector=metadata.name=NAME` (newline-delimited
 * `{"type","object"}` events), reconnecting from the last seen resourceVersion whenever the stream ends.
 * 410 Gone (here or as an ERROR event) means the resourceVersion expired: re-GET and watch again.
 * A server that refuses to watch (any 4xx/5xx but 404) is polled every second instead.
 */
import { fromStatus, NotFoundError, type Job, type Status } from '@jobfleet/kube';
import { ServerUnreachableError } from './errors.js';
import { isStatus, readStatus } from './http.js';
import { readLines } from './lines.js';

export interface JobWatchSource {
  /** GET the Job; rejects with NotFoundError once it is gone. */
  getJob(signal?: AbortSignal): Promise<Job>;
  /** Opens the watch stream from resourceVersion; resolves with the raw response whatever its status. */
  openWatch(resourceVersion: string, signal?: AbortSignal): Promise<Response>;
}

export interface WatchTiming {
  /** Interval of the polling fallback. */
  pollIntervalMs: number;
  /** Pause before reconnecting after a stream that delivered nothing, or after a failed connection. */
  reconnectDelayMs: number;
  /** Consecutive failed reconnections (server unreachable) tolerated before giving up. */
  maxReconnectFailures: number;
  /**
   * A watch whose stream brings nothing (not even the bookmark a jobfleet server sends every 10 s)
   * for this long, from its request on, is closed and opened again: a connection that died without
   * a word (a host lost, a NAT entry dropped) would otherwise hold it forever.
   */
  idleTimeoutMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = { pollIntervalMs: 1000, reconnectDelayMs: 1000, maxReconnectFailures: 10, idleTimeoutMs: 60_000 };

/** Aborts a watch stream that stays silent for `ms`; each sign of life (touch) starts the wait anew. */
class IdleWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  /** The caller's signal and this one's: either ends the stream. */
  readonly signal: AbortSignal;

  constructor(
    private readonly ms: number,
    caller: AbortSignal | undefined,
  ) {
    this.signal = caller ? AbortSignal.any([caller, this.controller.signal]) : this.controller.signal;
    this.timer = this.arm();
  }

  /** Whether this watch, not the caller, ended the stream. */
  get fired(): boolean {
    return this.controller.signal.aborted;
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => this.controller.abort(new Error(`the watch stream was silent for ${this.ms} ms`)), this.ms);
    timer.unref();
    return timer;
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

/** Remembers where the watch stands and which state was last handed out. */
class WatchCursor {
  resourceVersion = '';
  private lastYielded: string | undefined;

  /** Records the Job's resourceVersion; true if this state has not been yielded yet. */
  advance(job: Job): boolean {
    const version = job.metadata.resourceVersion;
    if (version) this.resourceVersion = version;
    if (version !== undefined && version === this.lastYielded) return false;
    this.lastYielded = version;
    return true;
  }

  /** A BOOKMARK only moves the resourceVersion forward. */
  bookmark(object: unknown): void {
    const version = (object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
  }
}

type StreamOutcome = 'ended' | 'delivered' | 'gone' | 'deleted' | { serverError: Status };

export async function* watchJobStates(source: JobWatchSource, signal?: AbortSignal, timing: WatchTiming = DEFAULT_WATCH_TIMING): AsyncGenerator<Job> {
  const cursor = new WatchCursor();
  yield* refetch(source, cursor, signal);
  let failures = 0;
  let serverErrors = 0;
  for (;;) {
    signal?.throwIfAborted();
    const idle = new IdleWatch(timing.idleTimeoutMs, signal);
    let response: Response;
    let outcome: StreamOutcome;
    try {
      response = await openWithRetries(source, cursor, idle, timing, () => ++failures);
      idle.touch();
      failures = 0;
      outcome = response.ok ? yield* consumeStream(response, cursor, idle) : 'ended'; // not ok: read below
    } catch (error) {
      if (!idle.fired || signal?.aborted) throw error;
      // Silent too long: as if the connection had dropped.
      await sleep(timing.reconnectDelayMs, signal);
      continue;
    } finally {
      idle.stop();
    }
    if (!response.ok) {
      const status = await readStatus(response);
      if (status.code === 410) {
        yield* refetch(source, cursor, signal);
        continue;
      }
      if (status.code === 404) throw fromStatus(status);
      yield* pollJobStates(source, cursor, signal, timing);
      return;
    }
    if (typeof outcome === 'object') {
      // A server error ends the stream (its store went away, as etcd can for the API server): watch
      // again after a pause, as client-go's reflector does; the next answer says what became of it.
      if (++serverErrors > timing.maxReconnectFailures) throw fromStatus(outcome.serverError);
      await sleep(timing.reconnectDelayMs, signal);
      continue;
    }
    serverErrors = 0;
    if (outcome === 'deleted') return;
    if (outcome === 'gone') yield* refetch(source, cursor, signal);
    if (outcome === 'ended') await sleep(timing.reconnectDelayMs, signal);
  }
}

async function* refetch(source: JobWatchSource, cursor: WatchCursor, signal?: AbortSignal): AsyncGenerator<Job> {
  const job = await source.getJob(signal);
  if (cursor.advance(job)) yield job;
}

async function openWithRetries(source: JobWatchSource, cursor: WatchCursor, idle: IdleWatch, timing: WatchTiming, countFailure: () => number): Promise<Response> {
  for (;;) {
    try {
      return await source.openWatch(cursor.resourceVersion, idle.signal);
    } catch (error) {
      if (!(error instanceof ServerUnreachableError) || countFailure() > timing.maxReconnectFailures) throw error;
      await sleep(timing.reconnectDelayMs, idle.signal);
      idle.touch();
    }
  }
}

async function* consumeStream(response: Response, cursor: WatchCursor, idle: IdleWatch): AsyncGenerator<Job, StreamOutcome> {
  if (!response.body) return 'ended';
  let delivered = false;
  try {
    for await (const line of readLines(response.body)) {
      idle.touch();
      if (line.trim() === '') continue;
      delivered = true;
      const event = parseWatchEvent(line);
      if (event.type === 'BOOKMARK') cursor.bookmark(event.object);
      else if (event.type === 'ERROR') {
        const status = errorStatus(event);
        if (status.code === 410) return 'gone';
        if ((status.code ?? 0) >= 500) return { serverError: status };
        throw fromStatus(status);
      } else {
        const job = event.object as Job;
        if (cursor.advance(job)) yield job;
        if (event.type === 'DELETED') return 'deleted';
      }
    }
  } catch (error) {
    if (idle.signal.aborted || !isConnectionDrop(error)) throw error;
  }
  return delivered ? 'delivered' : 'ended';
}

export function parseWatchEvent(line: string): WatchEvent {
  const event = JSON.parse(line) as Partial<WatchEvent>;
  if (typeof event.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new Error(`malformed watch event: ${line.slice(0, 200)}`);
  }
  return event as WatchEvent;
}

function errorStatus(event: WatchEvent): Status {
  if (isStatus(event.object)) return event.object;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, reason: 'InternalError', message: 'watch ERROR event without a Status' };
}

/** fetch (undici, and nodeFetch after it) reports a connection closed mid-body as TypeError("terminated"). */
function isConnectionDrop(error: unknown): boolean {
  return error instanceof TypeError;
}

async function* pollJobStates(source: JobWatchSource, cursor: WatchCursor, signal: AbortSignal | undefined, timing: WatchTiming): AsyncGenerator<Job> {
  for (;;) {
    await sleep(timing.pollIntervalMs, signal);
    let job: Job;
    try {
      job = await source.getJob(signal);
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
    if (cursor.advance(job)) yield job;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
