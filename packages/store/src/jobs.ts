import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConflictError, generatedSelector, jobPodLabels, k8sTime, type Job, type Pod } from '@jobfleet/kube';
import { pokeCronJobOf } from './cronjobs.js';
import { nameIndexBuckets, podDictionaryId } from './keys.js';
import { podQueueEntry, type TaskQueues } from './queues.js';
import { CHANGES_MAX_LEN, encodeObject, type JobStore } from './store.js';
import { declaredKeys, defineScript, scriptJson } from './scripts.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export class JobExistsError extends Error {
  constructor(readonly ns: string, readonly jobName: string) {
    super(`jobs.batch "${jobName}" already exists`);
    this.name = 'JobExistsError';
  }
}

/** What the API server adds to a Job on create: uid, timestamps, generated selector and pod labels. */
export function prepareNewJob(job: Job, ns: string, now: number): Job {
  const uid = randomUUID();
  const name = job.metadata.name ?? '';
  const template = job.spec.template;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...job.metadata, namespace: ns, uid, generation: 1, creationTimestamp: k8sTime(now) },
    spec: {
      ...job.spec,
      selector: job.spec.manualSelector ? job.spec.selector : generatedSelector(uid),
      template: {
        ...template,
        metadata: { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), ...jobPodLabels(name, uid) } },
      },
    },
    status: {},
  };
}

/** Pods one call of deleteJob-23+.lua deletes at most: a few milliseconds of Redis each (see README). */
export const DELETE_BATCH_PODS = 100;
/** Events one call deletes at most. */
const DELETE_BATCH_EVENTS = 1_000;
/** A pod found changed this many times in a row is deleted with the last object read. */
const STALE_ROUNDS_BEFORE_FORCE = 3;
/** Starts of a deletion at most, each after the Job found under its name was replaced by another (another uid). */
const MAX_START_ATTEMPTS = 5;

interface DeleteRedis extends Redis {
  /** deleteJob-23+.lua: the number of keys first (23 + the pods' and events' keys). */
  deleteJobBatch(numKeys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
}

function deleteScript(store: JobStore): DeleteRedis {
  const redis = store.redis as unknown as DeleteRedis;
  defineScript(store.redis, 'deleteJobBatch', 'deleteJob-23+.lua');
  return redis;
}

export interface DeleteJobOptions {
  /** Preconditions: the deletion is refused (409 Conflict) unless the Job has this uid / resourceVersion. */
  uid?: string;
  resourceVersion?: string;
  queues?: TaskQueues;
  /** Passed on to the nodes stopping the Job's pods. */
  gracePeriodSeconds?: number;
  /**
   * Resolve after this long even if pods remain (a Job of 100,000 pods takes seconds): the Job is
   * gone already, its pods follow in the background as Kubernetes' garbage collector deletes
   * them. Unset: resolve when everything is deleted.
   */
  returnAfterMs?: number;
}

interface PodToDelete {
  n: string;
  rv: string;
  f: string;
  node?: string;
  stop?: boolean;
  force?: boolean;
  /** Its pod queue entry, when it has a placement class ("ns/name#class"; "ns/name" goes anyway). */
  q?: string;
}

/**
 * Deletes a Job with everything it owns: pods, their logs, events, indexes, timers and tasks.
 * Nothing but the caller's preconditions can refuse it (ConflictError, as Kubernetes' 409): the
 * controller's and the workers' writes never make it fail or retry (deleteJob-23+.lua). The Job is
 * gone with the first call; its pods follow in bounded batches, each pod with a DELETED event
 * carrying its last object. Should this process die half-way, the janitor finishes the deletion
 * from the registry. Returns the deleted Job, or undefined when there was none.
 */
export async function deleteJob(store: JobStore, ns: string, name: string, opts: DeleteJobOptions = {}): Promise<Job | undefined> {
  const started = await startJobDeletion(store, ns, name, opts);
  if (!started) return undefined;
  const rest = finishDeletion(store, ns, name, started.uid, started.reply, opts);
  if (opts.returnAfterMs === undefined) {
    await rest;
    return started.job;
  }
  // The rest goes on after the answer; should it fail, the janitor finishes it from the registry.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([rest.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, opts.returnAfterMs)))]);
  clearTimeout(timer);
  return started.job;
}

/**
 * The first step of a deletion alone: the Job is gone (and registered as being deleted) with its
 * first batch of pods. deleteJob goes on with the rest; resumeDeletion does for a process that died.
 */
export async function startJobDeletion(store: JobStore, ns: string, name: string, opts: DeleteJobOptions = {}) {
  for (let attempt = 1; ; attempt++) {
    const current = await store.getJob(ns, name);
    const uid = current?.job.metadata.uid ?? '';
    const batch = current ? await nextToDelete(store, ns, uid, [], new Map()) : { pods: [], events: [] };
    const reply = await runDelete(store, ns, name, uid, { start: true, expectUid: opts.uid, expectRv: opts.resourceVersion, ...batch }, opts);
    if (reply[0] === 0) return undefined;
    if (reply[0] === -1) {
      const [field, actual] = [String(reply[1]), String(reply[2])];
      const detail =
        field === 'uid'
          ? `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${actual}`
          : `Precondition failed: ResourceVersion in precondition: ${opts.resourceVersion}, ResourceVersion in object meta: ${actual}`;
      throw new ConflictError({ group: 'batch', resource: 'jobs', name, detail });
    }
    if (reply[0] === -2) {
      // Another Job of that name since it was read (deleted and created again): read it again.
      if (attempt >= MAX_START_ATTEMPTS) throw new Error(`the Job ${ns}/${name} was replaced by another of its name during each of ${attempt} attempts to delete it; try again`);
      continue;
    }
    // A CronJob's Job gone (by hand, its TTL, the CronJob's history limit): its CronJob's status.active follows at once.
    await pokeCronJobOf(store, JSON.parse(String(reply[3])) as Job);
    return { job: JSON.parse(String(reply[3])) as Job, uid: String(reply[2]), reply, more: reply[1] === 'more' };
  }
}

/** Carries on with a deletion another process started (the janitor, after that process died). */
export async function resumeDeletion(store: JobStore, ns: string, name: string, uid: string, queues?: TaskQueues): Promise<void> {
  await finishDeletion(store, ns, name, uid, [1, 'more', uid, ''], { queues });
}

async function finishDeletion(store: JobStore, ns: string, name: string, uid: string, first: (string | number)[], opts: DeleteJobOptions) {
  const staleRounds = new Map<string, number>();
  let reply = first;
  while (reply[1] === 'more') {
    const stale = reply.slice(4).map(String);
    for (const n of stale) staleRounds.set(n, (staleRounds.get(n) ?? 0) + 1);
    const batch = await nextToDelete(store, ns, uid, stale, staleRounds);
    reply = await runDelete(store, ns, name, uid, { start: false, ...batch }, opts);
  }
  await opts.queues?.removeJobTimers(uid);
}

/** One call of deleteJob-23+.lua: every key it may touch in KEYS, the pods and events named by their keys' index there. */
async function runDelete(store: JobStore, ns: string, name: string, uid: string, params: { start: boolean; expectUid?: string; expectRv?: string; pods: PodToDelete[]; events: string[] }, opts: DeleteJobOptions): Promise<(string | number)[]> {
  const k = store.keys;
  // KEYS[1..23] as the script's header lists them, then the pods' and events' keys.
  const { keys, at } = declaredKeys([
    k.rv, k.changes, k.changesIndex, k.changesInfo, k.job(ns, name), k.jobs(ns), k.pods(ns), k.ttlSchedule, k.deletingJobs, k.events(ns),
    k.syncLease(ns, name), k.syncAgain(ns, name), k.podQueue, k.podQueueFlows(ns),
    k.jobPods(uid), k.jobUncounted(uid), k.podDictionary(uid), k.jobEvents(uid), k.jobLogBytes(uid), k.podDictionaryOf(uid), k.podStatusSample(podDictionaryId(uid)),
    nameIndexBuckets(k.pods(ns)), nameIndexBuckets(k.jobPods(uid)),
  ]);
  const pods = params.pods.map((pod) => ({ ...pod, k: at(k.pod(ns, pod.n)), l: at(k.podLog(ns, pod.n)), z: at(k.podLogArchive(ns, pod.n)), ...(pod.node ? { nk: at(k.nodePods(pod.node)) } : {}) }));
  const events = params.events.map((e) => ({ e, k: at(k.event(ns, e)) }));
  const full = {
    ns,
    name,
    uid,
    start: params.start,
    ...(params.expectUid !== undefined ? { expectUid: params.expectUid } : {}),
    ...(params.expectRv !== undefined ? { expectRv: params.expectRv } : {}),
    ...(opts.gracePeriodSeconds !== undefined ? { grace: opts.gracePeriodSeconds } : {}),
    nodeChannel: k.nodeChannel(''),
    pods,
    events,
  };
  return deleteScript(store).deleteJobBatch(keys.length, ...keys, CHANGES_MAX_LEN, store.changesMaxBytes, scriptJson(full), DELETE_BATCH_PODS, DELETE_BATCH_EVENTS);
}

/**
 * What the next call deletes: the next batch of the Job's pods (podsToDelete) or, once none is
 * left, a batch of its events' names (the script deletes only those still in the Job's event set).
 */
async function nextToDelete(store: JobStore, ns: string, uid: string, stale: string[], staleRounds: Map<string, number>): Promise<{ pods: PodToDelete[]; events: string[] }> {
  const pods = (await podsToDelete(store, ns, uid, stale, staleRounds)).map((p) => p.pod);
  if (pods.length > 0 || !uid) return { pods, events: [] };
  const events = await store.redis.srandmember(store.keys.jobEvents(uid), DELETE_BATCH_EVENTS);
  return { pods, events };
}

/**
 * The next batch of the Job's pods with their last object, decoded while the Job's dictionary is
 * still there: the pods found changed last time first, then the first ones of the Job's index.
 */
async function podsToDelete(store: JobStore, ns: string, uid: string, stale: string[], staleRounds: Map<string, number>) {
  if (!uid) return [];
  const listed = await store.indexedNames(store.keys.jobPods(uid), undefined, DELETE_BATCH_PODS);
  const names = [...new Set([...stale, ...listed])].slice(0, DELETE_BATCH_PODS);
  const pipeline = store.redis.pipeline();
  for (const n of names) pipeline.hmget(store.keys.pod(ns, n), 'rv', 'obj', 'd');
  const replies = (await pipeline.exec()) ?? [];
  const out: { pod: PodToDelete }[] = [];
  for (const [i, n] of names.entries()) {
    const [rv, obj, dict] = (replies[i]?.[1] ?? []) as (string | null)[];
    const json = rv && obj ? await store.codec.decode(obj, dict, rv).catch(() => undefined) : undefined;
    const pod = json ? parsePod(json) : undefined;
    const force = (staleRounds.get(n) ?? 0) >= STALE_ROUNDS_BEFORE_FORCE || (rv !== null && rv !== undefined && !pod);
    // An unreadable pod (its dictionary lost, or garbage) still goes, with a minimal object.
    const final = pod ?? { apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: ns }, spec: { containers: [] }, status: {} };
    const node = pod?.spec.nodeName;
    const running = pod ? pod.status.phase !== 'Succeeded' && pod.status.phase !== 'Failed' : false;
    const entry = pod ? podQueueEntry(pod) : await queuedEntryOf(store, ns, n);
    out.push({
      pod: { n, rv: rv ?? '', f: encodeObject(final as Pod), ...(node ? { node, stop: running } : {}), ...(force ? { force } : {}), ...(entry?.includes('#') ? { q: entry } : {}) },
    });
  }
  return out;
}

/** The queue entry of a pod whose object cannot be read (its class cannot be computed): looked for by its name. */
async function queuedEntryOf(store: JobStore, ns: string, name: string): Promise<string | undefined> {
  const pattern = `${ns}/${name}#*`.replace(/[?[\]\\]/g, '\\$&').replace(/\*(?!$)/g, '\\*');
  let cursor = '0';
  do {
    const [next, flat] = await store.redis.zscan(store.keys.podQueue, cursor, 'MATCH', pattern, 'COUNT', 1_000);
    if (flat[0] !== undefined) return flat[0];
    cursor = next;
  } while (cursor !== '0');
  return undefined;
}

function parsePod(json: string): Pod | undefined {
  try {
    const pod = JSON.parse(json) as Pod;
    return pod && typeof pod === 'object' && pod.metadata && pod.spec && pod.status ? pod : undefined;
  } catch {
    return undefined;
  }
}

/** The message on a node's channel telling it that what was set on it changed (a pod's is "ns/name…"). */
export const NODE_SPEC_MESSAGE = 'spec';

/** The message on a node's channel telling it to stop a pod: "ns/name", or "ns/name grace" in seconds. */
export function stopMessage(ns: string, pod: string, graceSeconds?: number): string {
  return graceSeconds === undefined ? `${ns}/${pod}` : `${ns}/${pod} ${graceSeconds}`;
}

export function parseStopMessage(message: string): { key: string; graceSeconds?: number } {
  const [key = '', grace] = message.split(' ');
  return grace === undefined ? { key } : { key, graceSeconds: Number(grace) };
}
