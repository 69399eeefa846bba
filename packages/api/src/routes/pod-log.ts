/**
 * GET /api/v1/namespaces/{ns}/pods/{name}/log: a container's log from Redis, with the kubelet's
 * options (container, follow, previous, tailLines, timestamps, sinceSeconds, sinceTime, limitBytes).
 * Each run of a container has its own log: the current one, or with `previous` the one before
 * (after an in-place restart).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, InvalidError, forbidden, invalid, isPodFinished, type ContainerStatus, type FieldError, type Pod } from '@jobfleet/kube';
import type { LogChunk } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { parseQueryBool, parseQueryInt, queryString } from '../http.js';
import { podNotFound } from './pod-fields.js';

const FOLLOW_POLL_MS = 200;

export function registerPodLogRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/pods/:name/log', (req, reply) => podLog(ctx, req, reply, req.params.ns, req.params.name));
}

async function getPod(ctx: ApiContext, ns: string, name: string): Promise<Pod> {
  const stored = await ctx.cluster.store.getPod(ns, name);
  if (!stored) throw podNotFound(name);
  return stored.pod;
}

function chooseContainer(pod: Pod, requested: string | undefined): string {
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  if (requested) {
    if (!names.includes(requested)) throw new BadRequestError(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }
  const main = pod.spec.containers.map((c) => c.name);
  if (main.length === 1) return main[0] ?? '';
  throw new BadRequestError(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${main.join(' ')}]`);
}

/** Splits chunks into lines (keeping the newline), each with its chunk's time, for tailLines/timestamps. */
function toLines(chunks: LogChunk[]): { time: number; text: string }[] {
  const lines: { time: number; text: string }[] = [];
  let partial: { time: number; text: string } | undefined;
  for (const e of chunks) {
    const parts = e.data.split(/(?<=\n)/);
    for (const part of parts) {
      if (partial) {
        partial.text += part;
      } else partial = { time: e.time, text: part };
      if (part.endsWith('\n')) {
        lines.push(partial);
        partial = undefined;
      }
    }
  }
  if (partial) lines.push(partial);
  return lines;
}

function formatLines(lines: { time: number; text: string }[], timestamps: boolean): string {
  return lines.map((l) => (timestamps ? `${new Date(l.time).toISOString().replace('Z', '000000Z')} ${l.text}` : l.text)).join('');
}

export interface LogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  /** Lines written before this time (ms) are left out: sinceSeconds or sinceTime. */
  since?: number;
  limitBytes?: number;
}

/**
 * The query's PodLogOptions, checked as ValidatePodLogOptions does (422 naming the option) before the
 * pod is looked up; a sinceTime that is not RFC 3339 is a 400, as the query's conversion fails.
 */
export function logOptions(query: (name: string) => string | undefined, name: string, now: number): LogOptions {
  const int = (key: string) => {
    const v = query(key);
    return v === undefined ? undefined : parseQueryInt(v);
  };
  const bool = (key: string) => {
    const v = query(key);
    return v !== undefined && parseQueryBool(v);
  };
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  const sinceTimeText = query('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText !== undefined && sinceTimeText !== '') {
    sinceTime = parseRfc3339(sinceTimeText);
    if (sinceTime === undefined) {
      throw new BadRequestError(`parsing time ${JSON.stringify(sinceTimeText)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(sinceTimeText)} as RFC 3339`);
    }
  }
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errors.push(invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errors.push(invalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined) errors.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1) errors.push(invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errors.length > 0) throw new InvalidError({ group: '', kind: 'PodLogOptions', name, errors });
  return {
    container: query('container') || undefined,
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
    tailLines,
    since: sinceSeconds !== undefined ? now - sinceSeconds * 1000 : sinceTime,
    limitBytes,
  };
}

/** metav1.Time's query form: RFC 3339 (Go's time.RFC3339, which also takes fractional seconds). */
function parseRfc3339(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Keeps at most `remaining` bytes of text (UTF-8), as the kubelet's LimitWriter cuts the stream,
 * but never inside a character (which would arrive as a replacement character, more bytes than asked).
 */
export function takeBytes(text: string, remaining: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= remaining) return text;
  let end = Math.max(0, remaining);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

async function podLog(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string, name: string) {
  const store = ctx.cluster.store;
  const opts = logOptions((key) => queryString(req, key), name, await store.now());
  const pod = await getPod(ctx, ns, name);
  const container = chooseContainer(pod, opts.container);
  const { timestamps, previous, since } = opts;
  const run = logRun(pod, container, previous);
  let cursor: string | undefined;
  const read = async (after?: string) => {
    const chunks = await store.logs.read(ns, name, after);
    if (chunks.length > 0) cursor = chunks[chunks.length - 1]?.id;
    return chunks.filter((c) => c.container === container && c.instance === run);
  };
  // Bytes still allowed by limitBytes; the stream ends when they are spent.
  let remaining = opts.limitBytes ?? Infinity;
  const render = (lines: { time: number; text: string }[]) => {
    const text = formatLines(since === undefined ? lines : lines.filter((l) => l.time >= since), timestamps);
    const kept = remaining === Infinity ? text : takeBytes(text, remaining);
    remaining -= Buffer.byteLength(kept, 'utf8');
    return kept;
  };
  let lines = toLines(await read());
  if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  const text = render(lines);
  // The previous run has ended: there is nothing to follow.
  if (!opts.follow || previous || remaining <= 0) return reply.code(200).header('content-type', 'text/plain').send(text);

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  let closed = false;
  req.raw.on('close', () => (closed = true));
  raw.on('close', () => (closed = true));
  // A reader slower than the pod writes is not buffered for: the next read waits until it took the last one.
  const write = async (chunk: string) => {
    if (chunk === '' || raw.write(chunk) || closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
  };
  await write(text);
  while (!closed && remaining > 0) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    const fresh = await read(cursor).catch(() => []);
    if (fresh.length > 0) await write(render(toLines(fresh)));
    const current = await store.getPod(ns, name).catch(() => ({ pod }));
    if (!current || runDone(current.pod, container, run)) {
      const rest = await read(cursor).catch(() => []);
      if (rest.length > 0) await write(render(toLines(rest)));
      break;
    }
  }
  raw.end();
  return reply;
}

function containerStatus(pod: Pod, container: string): ContainerStatus | undefined {
  return [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((c) => c.name === container);
}

/**
 * Which run of the container (its restartCount then) a log request reads, as the kubelet's
 * validateContainerLogStatus picks the container: with `previous`, the run before the current one
 * (a 400 when there is none); else the running or terminated one, or, while it waits to restart,
 * the last one; a container that never ran yet is a 400 "waiting to start", as the kubelet says.
 */
export function logRun(pod: Pod, container: string, previous: boolean): number {
  const s = containerStatus(pod, container);
  const restarts = s?.restartCount ?? 0;
  const last = s?.lastState?.terminated;
  const podName = pod.metadata.name ?? '';
  if (previous) {
    if (!last || restarts < 1) throw new BadRequestError(`previous terminated container "${container}" in pod "${podName}" not found`);
    return restarts - 1;
  }
  if (s?.state.running || s?.state.terminated) return restarts;
  if (last && restarts >= 1) return restarts - 1;
  const reason = s?.state.waiting?.reason || 'ContainerCreating';
  throw new BadRequestError(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
}

/** The run followed will write no more: the pod ended, the run ended (terminated), or a later run began or waits to. */
function runDone(pod: Pod, container: string, run: number): boolean {
  if (isPodFinished(pod)) return true;
  const s = containerStatus(pod, container);
  return s === undefined || s.state.terminated !== undefined || s.restartCount > run;
}
