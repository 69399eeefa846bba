import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, JobfleetError, toStatus } from '@jobfleet/spec';
import { ResourceVersionTooOldError, type Change } from './change-feed.js';
import type { ApiContext } from './context.js';
import { queryBool, queryInt, queryString } from './http.js';

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
/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A resourceVersion jobfleet issues: a decimal integer a JavaScript number holds exactly. */
function isResourceVersion(text: string): boolean {
  return /^[0-9]+$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER;
}

/**
 * A Kubernetes watch: newline-delimited {type, object} events on a chunked response, from the
 * requested resourceVersion (or the current state first), with bookmarks, timeoutSeconds and the
 * initial-events protocol (sendInitialEvents) of watch lists.
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

  reply.hijack();
  raw.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  // The client learns at once that the watch started, even if no event comes for a long time.
  raw.flushHeaders();
  const send = (type: string, object: unknown) => raw.write(`${JSON.stringify({ type, object })}\n`);
  let lastRv = 0;
  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', { kind: spec.kind, apiVersion: spec.kind === 'Job' ? 'batch/v1' : 'v1', metadata: { resourceVersion: String(lastRv), ...(annotations ? { annotations } : {}) } });

  let fromRv = Number(requestedRv ?? 0) || 0;
  if (startFromState) {
    let list: Awaited<ReturnType<WatchSpec['list']>>;
    try {
      list = await spec.list();
    } catch (err) {
      // The response has started: the error travels as an ERROR event, as in Kubernetes.
      send('ERROR', toStatus(err));
      raw.end();
      return reply;
    }
    for (const item of list.items) send('ADDED', render(item, 'ADDED'));
    fromRv = Number(list.metadata.resourceVersion);
    lastRv = fromRv;
    if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  }

  const onChange = (c: Change) => {
    lastRv = c.rv;
    if (c.kind !== spec.kind || (spec.ns !== undefined && c.ns !== spec.ns)) return;
    const obj = JSON.parse(c.obj) as Record<string, unknown>;
    if (spec.keep(obj)) send(c.type, render(obj, c.type));
  };
  let unsubscribe: () => void = () => undefined;
  try {
    unsubscribe = await ctx.feed.subscribe(fromRv, onChange);
  } catch (err) {
    // The response has started: any error ends the watch with an ERROR event, never a hung stream.
    const expired = err instanceof ResourceVersionTooOldError;
    send('ERROR', expired ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: 'Expired', code: 410 } : toStatus(err));
    raw.end();
    return reply;
  }
  const timers: NodeJS.Timeout[] = [];
  if (bookmarks) timers.push(setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS));
  const finish = () => {
    unsubscribe();
    timers.forEach(clearTimeout);
    if (!raw.writableEnded) raw.end();
  };
  if (timeoutSeconds) timers.push(setTimeout(finish, Math.min(timeoutSeconds * 1000, MAX_TIMER_MS)));
  req.raw.on('close', finish);
  raw.on('close', finish);
  return reply;
}
