/**
 * GET /api/v1/namespaces/{ns}/pods/{name}/log: a container's log from Redis, with the kubelet's
 * options (container, follow, previous, tailLines, timestamps). Each run of a container has its
 * own log: the current one, or with `previous` the one before (after an in-place restart).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, InvalidError, invalid, type ContainerStatus, type Pod } from '@jobfleet/spec';
import type { LogChunk } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { queryBool, queryInt, queryString } from '../http.js';
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

async function podLog(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string, name: string) {
  const store = ctx.cluster.store;
  const pod = await getPod(ctx, ns, name);
  const container = chooseContainer(pod, queryString(req, 'container'));
  const timestamps = queryBool(req, 'timestamps');
  const tailLines = queryInt(req, 'tailLines');
  // As ValidatePodLogOptions: a negative count is a 422 (queryInt parses any int64, as Kubernetes).
  if (tailLines !== undefined && tailLines < 0) {
    throw new InvalidError({ group: '', kind: 'PodLogOptions', name, errors: [invalid('tailLines', tailLines, 'must be greater than or equal to 0')] });
  }
  const previous = queryBool(req, 'previous');
  const run = logRun(pod, container, previous);
  let cursor: string | undefined;
  const read = async (after?: string) => {
    const chunks = await store.logs.read(ns, name, after);
    if (chunks.length > 0) cursor = chunks[chunks.length - 1]?.id;
    return chunks.filter((c) => c.container === container && c.instance === run);
  };
  let lines = toLines(await read());
  if (tailLines !== undefined) lines = tailLines === 0 ? [] : lines.slice(-tailLines);
  const text = formatLines(lines, timestamps);
  // The previous run has ended: there is nothing to follow.
  if (!queryBool(req, 'follow') || previous) return reply.code(200).header('content-type', 'text/plain').send(text);

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  let closed = false;
  req.raw.on('close', () => (closed = true));
  raw.on('close', () => (closed = true));
  // A reader slower than the pod writes is not buffered for: the next read waits until it took the last one.
  const write = async (chunk: string) => {
    if (raw.write(chunk) || closed) return;
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
  while (!closed) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    const fresh = await read(cursor).catch(() => []);
    if (fresh.length > 0) await write(formatLines(toLines(fresh), timestamps));
    const current = await store.getPod(ns, name).catch(() => ({ pod }));
    if (!current || runDone(current.pod, container, run)) {
      const rest = await read(cursor).catch(() => []);
      if (rest.length > 0) await write(formatLines(toLines(rest), timestamps));
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
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return true;
  const s = containerStatus(pod, container);
  return s === undefined || s.state.terminated !== undefined || s.restartCount > run;
}
