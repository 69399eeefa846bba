/**
 * Watches of the kinds that have no change history in the store: Nodes (built from the workers'
 * heartbeats) and Namespaces (a record per name). The watch compares what a list returns every
 * `intervalMs` with what it sent and reports the difference as ADDED, MODIFIED and DELETED events,
 * in the same wire forms as watch.ts (JSON lines, protobuf frames, Table rows), with timeoutSeconds,
 * bookmarks and the initial-events protocol. `kubectl get nodes -w`, informers and the Python
 * client's Watch work on them.
 *
 * Without a history, a watch from a resourceVersion (an informer's list, then watch) starts from the
 * state when the watch begins: a change in the moment between the list and the watch is not sent
 * (the next one of the same object is). A node's heartbeat alone is not a change, as since Kubernetes
 * 1.17 the kubelet's heartbeat goes to its Lease and the Node is written when its status changes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, JobfleetError, toStatus } from '@jobfleet/kube';
import type { ApiContext } from './context.js';
import { queryBool, queryInt, queryString } from './http.js';
import { MEDIA_PROTOBUF, negotiateStream } from './negotiation.js';
import { encodeWatchEvent } from './protobuf/envelope.js';
import { DEFAULT_WATCH_BUFFER_BYTES } from './watch.js';

type ApiObject = Record<string, unknown> & { metadata?: { name?: string; uid?: string; resourceVersion?: string } };

export interface PollWatchSpec {
  kind: 'Node' | 'Namespace';
  /** The objects the request selects, now. */
  snapshot: () => Promise<ApiObject[]>;
  /** What of an object counts as a change (default: all of it but its resourceVersion). */
  fingerprint?: (obj: ApiObject) => string;
  render?: (obj: unknown, type: string) => unknown;
  intervalMs: number;
}

const BOOKMARK_INTERVAL_MS = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

function defaultFingerprint(obj: ApiObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
}

/**
 * A node as it changes: without its resourceVersion and its conditions' times (a worker's record
 * dates them by its last heartbeat); a condition's status, reason or message changing is a change.
 */
export function nodeFingerprint(obj: ApiObject): string {
  const status = (obj.status ?? {}) as { conditions?: Record<string, unknown>[] };
  const conditions = status.conditions?.map(({ lastHeartbeatTime: _h, lastTransitionTime: _t, ...c }) => c);
  return defaultFingerprint({ ...obj, status: { ...status, ...(conditions ? { conditions } : {}) } });
}

const keyOf = (obj: ApiObject) => obj.metadata?.uid ?? obj.metadata?.name ?? '';

export async function pollWatchResponse(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, spec: PollWatchSpec): Promise<FastifyReply> {
  const render = spec.render ?? ((obj) => obj);
  const fingerprint = spec.fingerprint ?? defaultFingerprint;
  const bookmarks = queryBool(req, 'allowWatchBookmarks');
  const sendInitial = queryBool(req, 'sendInitialEvents');
  const requestedRv = queryString(req, 'resourceVersion');
  const timeoutSeconds = queryInt(req, 'timeoutSeconds');
  if (sendInitial && !bookmarks) {
    throw new JobfleetError('ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Required value: sendInitialEvents requires allowWatchBookmarks=true', 422, 'Invalid');
  }
  if (requestedRv !== undefined && requestedRv !== '' && !/^[0-9]+$/.test(requestedRv)) {
    throw new BadRequestError(`resourceVersion: Invalid value: "${requestedRv}": must be a non-negative integer`);
  }
  const startFromState = sendInitial || requestedRv === undefined || requestedRv === '' || requestedRv === '0';
  // Read before the response starts, so that a store that does not answer is a plain error status.
  let known = new Map((await spec.snapshot()).map((o) => [keyOf(o), { obj: o, print: fingerprint(o) }]));
  const protobuf = negotiateStream(req.headers.accept, { table: true }).mediaType === MEDIA_PROTOBUF;

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': protobuf ? `${MEDIA_PROTOBUF};stream=watch` : 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  raw.flushHeaders();
  const maxUnsent = ctx.watchBufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES;
  const timers: NodeJS.Timeout[] = [];
  let pollTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    timers.forEach(clearTimeout);
    clearTimeout(pollTimer);
    if (!raw.writableEnded) raw.end();
  };
  const send = (type: string, object: unknown) => {
    if (closed) return;
    raw.write(protobuf ? encodeWatchEvent(type, object as Record<string, unknown>) : `${JSON.stringify({ type, object })}\n`);
    // A client that does not read is let go, as watch.ts does.
    if (raw.writableLength > maxUnsent) {
      finish();
      raw.destroy();
    }
  };
  req.raw.on('close', finish);
  raw.on('close', finish);
  if (timeoutSeconds) timers.push(setTimeout(finish, Math.min(timeoutSeconds * 1000, MAX_TIMER_MS)));
  const bookmark = async (annotations?: Record<string, string>) => {
    const resourceVersion = await ctx.cluster.store.currentResourceVersion().catch(() => '0');
    send('BOOKMARK', { kind: spec.kind, apiVersion: 'v1', metadata: { resourceVersion, ...(annotations ? { annotations } : {}) } });
  };
  if (startFromState) {
    for (const { obj } of known.values()) send('ADDED', render(obj, 'ADDED'));
    if (sendInitial) await bookmark({ 'k8s.io/initial-events-end': 'true' });
  }
  if (bookmarks) timers.push(setInterval(() => void bookmark(), BOOKMARK_INTERVAL_MS));

  const poll = async () => {
    if (closed) return;
    let current: ApiObject[];
    try {
      current = await spec.snapshot();
    } catch (err) {
      send('ERROR', toStatus(err));
      finish();
      return;
    }
    const next = new Map(current.map((o) => [keyOf(o), { obj: o, print: fingerprint(o) }]));
    for (const [key, entry] of next) {
      const before = known.get(key);
      if (!before) send('ADDED', render(entry.obj, 'ADDED'));
      else if (before.print !== entry.print) send('MODIFIED', render(entry.obj, 'MODIFIED'));
    }
    for (const [key, { obj }] of known) if (!next.has(key)) send('DELETED', render(obj, 'DELETED'));
    known = next;
    if (!closed) pollTimer = setTimeout(() => void poll(), spec.intervalMs);
  };
  pollTimer = setTimeout(() => void poll(), spec.intervalMs);
  return reply;
}
