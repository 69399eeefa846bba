import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, JobfleetError, toStatus } from '@jobfleet/kube';
import { ResourceVersionTooOldError, type Change } from './change-feed.js';
import type { ApiContext } from './context.js';
import { queryBool, queryInt, queryString } from './http.js';
import { MEDIA_PROTOBUF, negotiateStream } from './negotiation.js';
import { encodeWatchEvent } from './protobuf/envelope.js';

export interface WatchSpec {
  kind: string;
  /** One namespace, or all when undefined. */
  ns: string | undefined;
  keep: (obj: Record<string, unknown>) => boolean;
  /** The current list, for watches that start with the current state. */
  list: () => Promise<{ metadata: { resourceVersion: string }; items: unknown[] }>;
  /** Turns an object into what the client asked for (e.g. a Table row); identity by default. */
  render?: (obj: unknown, type: string) => unknown;
}

const BOOKMARK_INTERVAL_MS = 10_000;
/** Unsent bytes above which the history replay waits for the client before reading on. */
const HISTORY_HIGH_WATER = 256 * 1024;
/** How long an ended watch may take to flush what it still holds before its connection is cut. */
const FLUSH_GRACE_MS = 10_000;
/** Default of ApiContext.watchBufferBytes. */
export const DEFAULT_WATCH_BUFFER_BYTES = 8 * 1024 * 1024;
/** Each live change is parsed once for all the watches that filter it. */
const parsed = new WeakMap<Change, Record<string, unknown>>();

function objectOf(change: Change): Record<string, unknown> {
  let obj = parsed.get(change);
  if (!obj) {
    obj = JSON.parse(change.obj) as Record<string, unknown>;
    parsed.set(change, obj);
  }
  return obj;
}
/** The kinds of batch/v1 (every other kind watched is core/v1). */
const BATCH_KINDS = new Set(['Job', 'CronJob']);
/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A resourceVersion jobfleet issues: a decimal integer a JavaScript number holds exactly. */
function isResourceVersion(text: string): boolean {
  return /^[0-9]+$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER;
}

/**
 * A Kubernetes watch: newline-delimited {type, object} events on a chunked response (or, for
 * `application/vnd.kubernetes.protobuf;stream=watch`, length-prefixed WatchEvent frames), from the
 * requested resourceVersion (or the current state first), with bookmarks, timeoutSeconds and the
 * initial-events protocol (sendInitialEvents) of watch lists.
 *
 * Memory is bounded per watch: the history is replayed at the client's pace, and a watch whose
 * unsent bytes pass ctx.watchBufferBytes (a client that does not read as fast as changes come) is
 * closed, as the Kubernetes API server closes a watcher that falls behind; the client watches
 * again from the last resourceVersion it saw, or lists again.
 */
export async function watchResponse(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, spec: WatchSpec): Promise<FastifyReply> {
  const raw = reply.raw;
  const render = spec.render ?? ((obj) => obj);
  const bookmarks = queryBool(req, 'allowWatchBookmarks');
  const sendInitial = queryBool(req, 'sendInitialEvents');
  const requestedRv = queryString(req, 'resourceVersion');
  const timeoutSeconds = queryInt(req, 'timeoutSeconds');
  const startFromState = sendInitial || requestedRv === undefined || requestedRv === '' || requestedRv === '0';
  if (sendInitial && !bookmarks) {
    // Without the initial-events-end bookmark a watch-list client would wait for it forever.
    throw new JobfleetError('ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Required value: sendInitialEvents requires allowWatchBookmarks=true', 422, 'Invalid');
  }
  if (requestedRv !== undefined && requestedRv !== '' && !isResourceVersion(requestedRv)) {
    // Checked before the response starts: once it has, an error can only travel as an event.
    throw new BadRequestError(`resourceVersion: Invalid value: "${requestedRv}": must be a non-negative integer`);
  }

  // JSON lines or protobuf frames, as the Accept header asks (406 for a type without a stream form).
  const protobuf = negotiateStream(req.headers.accept, { table: true }).mediaType === MEDIA_PROTOBUF;

  reply.hijack();
  const contentType = protobuf ? `${MEDIA_PROTOBUF};stream=watch` : 'application/json';
  raw.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  // The client learns at once that the watch started, even if no event comes for a long time.
  raw.flushHeaders();
  const maxUnsent = ctx.watchBufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES;
  let closed = false;
  let unsubscribe: () => void = () => undefined;
  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    timers.forEach(clearTimeout);
    if (!raw.writableEnded) raw.end();
    // A client that stopped reading must not keep what is left of the response alive for ever.
    setTimeout(() => raw.writableFinished || raw.destroy(), FLUSH_GRACE_MS).unref();
  };
  /** Sends one event; a watch whose client lets more than maxUnsent bytes pile up is closed at once. */
  const send = (type: string, object: unknown) => {
    if (closed) return;
    let frame: Buffer | string;
    try {
      frame = protobuf ? encodeWatchEvent(type, object as Record<string, unknown>) : `${JSON.stringify({ type, object })}\n`;
    } catch (err) {
      // An object that cannot be written ends the watch with an ERROR event (a Status always can be).
      if (type !== 'ERROR') send('ERROR', toStatus(err));
      finish();
      return;
    }
    raw.write(frame);
    if (raw.writableLength > maxUnsent) {
      finish();
      raw.destroy();
    }
  };
  let drained: Promise<void> | undefined;
  /** Resolves when the client has taken most of what was sent (or the watch ended). */
  const whenDrained = (): Promise<void> | undefined => {
    if (closed || raw.writableLength <= HISTORY_HIGH_WATER) return undefined;
    drained ??= new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        drained = undefined;
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
    return drained;
  };
  req.raw.on('close', finish);
  raw.on('close', finish);
  if (timeoutSeconds) timers.push(setTimeout(finish, Math.min(timeoutSeconds * 1000, MAX_TIMER_MS)));
  let lastRv = 0;
  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', { kind: spec.kind, apiVersion: BATCH_KINDS.has(spec.kind) ? 'batch/v1' : 'v1', metadata: { resourceVersion: String(lastRv), ...(annotations ? { annotations } : {}) } });

  let fromRv = Number(requestedRv ?? 0) || 0;
  if (startFromState) {
    let list: Awaited<ReturnType<WatchSpec['list']>>;
    try {
      list = await spec.list();
    } catch (err) {
      // The response has started: the error travels as an ERROR event, as in Kubernetes.
      send('ERROR', toStatus(err));
      finish();
      return reply;
    }
    for (const item of list.items) {
      send('ADDED', render(item, 'ADDED'));
      await whenDrained();
    }
    if (closed) return reply;
    fromRv = Number(list.metadata.resourceVersion);
    lastRv = fromRv;
    if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  }

  /** Any error ends the watch with an ERROR event, never a hung stream: 410 Expired when changes were lost for it. */
  const fail = (err: unknown) => {
    const expired = err instanceof ResourceVersionTooOldError;
    send('ERROR', expired ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: 'Expired', code: 410 } : toStatus(err));
    finish();
  };
  // Changes of other kinds and namespaces only move the bookmarks' resourceVersion on (the feed does not decode them for this watch).
  const wants = (kind: string, ns: string) => kind === spec.kind && (spec.ns === undefined || ns === spec.ns);
  const passed = (rv: number) => void (lastRv = rv);
  const change = (c: Change): Promise<void> | undefined => {
    lastRv = c.rv;
    const obj = objectOf(c);
    if (spec.keep(obj)) send(c.type, render(obj, c.type));
    return whenDrained();
  };
  try {
    const stop = await ctx.feed.subscribe(fromRv, { change, wants, passed, end: fail });
    if (closed) stop();
    else unsubscribe = stop;
  } catch (err) {
    fail(err);
    return reply;
  }
  if (bookmarks && !closed) timers.push(setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS));
  return reply;
}
