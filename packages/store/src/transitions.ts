/**
 * The state changes the control loops (packages/controllers) make, one function each: what they
 * write is decided there, how it is written (keys, indexes, guards) only here. Most still build
 * applyWrites operations internally (one atomic commit each); a change on the hot path gets its
 * own Lua script when it needs one.
 */
import { isJobFinished, isManagedExternally, ttlDeadline, type CorrelatedEvent, type Job, type JobControlState, type JobStatus, type NodeHeartbeat, type NodeSpecRecord, type Pod, sanitizeNodeSpec } from '@jobfleet/kube';
import { cronJobOwnerOps, cronJobPokeOps } from './cronjobs.js';
import { eventOps, type EventRecord } from './events.js';
import { jobPodDictionary } from './pod-codec.js';
import { stopMessage } from './jobs.js';
import { enqueueOps, podQueueEntry, wakeMessage, type QueueFlow } from './queues.js';
import { putOp, type CommitResult, type JobStore, type StoredJob, type StoredPod, type WriteOp } from './store.js';

// ---- Jobs ----

/** Stores a new Job (ok: false when one of that name exists): its object, pod dictionary and indexes. */
export async function insertJob(store: JobStore, job: Job): Promise<CommitResult> {
  const result = await store.commit(insertJobOps(store, job), 'insertJob');
  // Its first sync (here, at once) reads it with no pods in one round trip.
  if (result.ok) store.syncHints.set(job.metadata.namespace ?? 'default', job.metadata.name ?? '', job.metadata.uid ?? '', []);
  return result;
}

/** The writes storing a new Job (the first one fails when one of that name exists); a CronJob's Job also joins its index. */
export function insertJobOps(store: JobStore, job: Job): WriteOp[] {
  const ns = job.metadata.namespace ?? 'default';
  const name = job.metadata.name ?? '';
  return [
    { ...putOp(store.keys.job(ns, name), '', job, { failuresInRow: 0 }), request: true },
    { op: 'set', key: store.keys.podDictionary(job.metadata.uid ?? ''), value: jobPodDictionary(job) },
    { op: 'zadd', key: store.keys.jobs(ns), member: name },
    { op: 'sadd', key: store.keys.namespaces, member: ns },
    // A flow of its namespace in the pod queue from now on (see QueueFlow): Jobs created together share their namespace's turns from their first pods on.
    ...(job.spec.suspend || isManagedExternally(job) ? [] : [{ op: 'zadd', key: store.keys.podQueueFlows(ns), member: name, score: '+inf' } as const]),
    ...cronJobOwnerOps(store, job),
  ];
}

/**
 * Writes a Job read at resourceVersion `expect` (compare-and-set), and (re)schedules its
 * TTL-after-finished deletion in the same commit. `request`: a user's write, which must leave the
 * status headroom free.
 */
export async function putJob(store: JobStore, expect: string, job: Job, opts: { request?: boolean } = {}): Promise<CommitResult> {
  const ops: WriteOp[] = [{ ...putOp(store.keys.job(job.metadata.namespace ?? 'default', job.metadata.name ?? ''), expect, job), ...(opts.request ? { request: true } : {}) }];
  const ttl = ttlScheduleOp(store, job);
  if (ttl) ops.push(ttl);
  return store.commit(ops, 'putJob');
}

/** The uid of the Job stored under that name (undefined when there is none). */
export async function storedJobUid(store: JobStore, ns: string, name: string): Promise<string | undefined> {
  return (await store.redis.hget(store.keys.job(ns, name), 'uid')) ?? undefined;
}

/** Names in a namespace's Job index, in name order, from `after` (exclusive), at most `limit`. */
export function jobNamesPage(store: JobStore, ns: string, after: string | undefined, limit: number): Promise<string[]> {
  return store.namesPage(store.keys.jobs(ns), after, limit);
}

/** Names in a namespace's pod index, in name order, from `after` (exclusive), at most `limit`. */
export function podNamesPage(store: JobStore, ns: string, after: string | undefined, limit: number): Promise<string[]> {
  return store.indexedNames(store.keys.pods(ns), after, limit);
}

/** Names in a namespace's event index, in name order, from `after` (exclusive), at most `limit`. */
export function eventNamesPage(store: JobStore, ns: string, after: string | undefined, limit: number): Promise<string[]> {
  return store.namesPage(store.keys.events(ns), after, limit);
}

/** Names in a Job's own pod index (uid), in name order: a page costs the same at 100 pods as at 100,000. */
export function jobPodNamesPage(store: JobStore, jobUid: string, after: string | undefined, limit: number): Promise<string[]> {
  return store.indexedNames(store.keys.jobPods(jobUid), after, limit);
}

/** An event object as stored (JSON), or undefined. */
export async function getEventJson(store: JobStore, ns: string, name: string): Promise<string | undefined> {
  return (await store.redis.hget(store.keys.event(ns, name), 'obj')) ?? undefined;
}

/** The event objects (JSON) that exist among `names`, in one round trip. */
export async function getEventsJson(store: JobStore, ns: string, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const pipeline = store.redis.pipeline();
  for (const name of names) pipeline.hget(store.keys.event(ns, name), 'obj');
  const replies = (await pipeline.exec()) ?? [];
  return replies.flatMap(([err, v]) => (!err && typeof v === 'string' ? [v] : []));
}

// ---- TTL after finished ----

/** Schedules the TTL-after-finished deletion of a finished Job (the janitor acts on it). */
function ttlScheduleOp(store: JobStore, job: Job): WriteOp | undefined {
  const deadline = ttlDeadline(job);
  if (deadline === undefined) return undefined;
  return { op: 'zadd', key: store.keys.ttlSchedule, member: `${job.metadata.namespace}/${job.metadata.name}`, score: deadline };
}

/** Schedules the Job's TTL deletion if it has a deadline (finished, with ttlSecondsAfterFinished). */
export async function scheduleTtl(store: JobStore, job: Job): Promise<void> {
  const op = ttlScheduleOp(store, job);
  if (op) await store.commit([op], 'scheduleTtl');
}

/** Jobs whose TTL deadline is `now` or earlier (Redis clock), at most `limit`. */
export async function dueTtl(store: JobStore, now: number, limit: number): Promise<{ ns: string; name: string }[]> {
  const members = await store.redis.zrangebyscore(store.keys.ttlSchedule, '-inf', now, 'LIMIT', 0, limit);
  return members.map((m) => {
    const [ns = '', name = ''] = m.split('/');
    return { ns, name };
  });
}

/** Takes a Job off the TTL schedule (gone, or its TTL removed). */
export async function unscheduleTtl(store: JobStore, ns: string, name: string): Promise<void> {
  await store.redis.zrem(store.keys.ttlSchedule, `${ns}/${name}`);
}

/** Moves a Job's TTL deadline (its TTL was raised). */
export async function rescheduleTtl(store: JobStore, ns: string, name: string, deadline: number): Promise<void> {
  await store.redis.zadd(store.keys.ttlSchedule, deadline, `${ns}/${name}`);
}

// ---- deletions in progress ----

/** The registry of Job deletions under way (uid → raw entry {ns, name, at}). */
export function deletionsInProgress(store: JobStore): Promise<Record<string, string>> {
  return store.redis.hgetall(store.keys.deletingJobs);
}

/** Drops an entry of the deletion registry. */
export async function forgetDeletion(store: JobStore, uid: string): Promise<void> {
  await store.redis.hdel(store.keys.deletingJobs, uid);
}

// ---- the Job controller's sync ----

/**
 * One process syncs a Job at a time across the fleet: the holder of the Job's sync lease. The others
 * only ask it to sync once more ("again").
 */
export class JobSyncLease {
  private readonly lease: string;
  private readonly again: string;

  constructor(private readonly store: JobStore, ns: string, name: string) {
    this.lease = store.keys.syncLease(ns, name);
    this.again = store.keys.syncAgain(ns, name);
  }

  /** Takes the lease for `ms` if nobody holds it, and then forgets the "sync again" requests made so far (takeSyncLease-2.lua). */
  async take(token: string, ms: number): Promise<boolean> {
    return (await this.store.redis.takeSyncLease(this.lease, this.again, token, ms)) === 1;
  }

  /** How long the lease is still held, in ms (0 when nobody holds it): a process turned away retries then. */
  async heldForMs(): Promise<number> {
    return Math.max(0, await this.store.redis.pttl(this.lease));
  }

  /** Lets go of the lease (if still held); true when another sync was asked for meanwhile (releaseSyncLease-2.lua). */
  async release(token: string): Promise<boolean> {
    return (await this.store.redis.releaseSyncLease(this.lease, this.again, token)) === 1;
  }

  async askAgain(ms: number): Promise<void> {
    await this.store.redis.set(this.again, '1', 'PX', ms);
  }
}

/**
 * For each name, whether a pod of that name exists in the namespace: one EXISTS of all their keys
 * (a pod's key and its namespace index entry are written and deleted together), and one per name
 * only when some are taken.
 */
export async function podNamesTaken(store: JobStore, ns: string, names: string[]): Promise<boolean[]> {
  if (names.length === 0) return [];
  const keys = names.map((name) => store.keys.pod(ns, name));
  if ((await store.redis.exists(...keys)) === 0) return names.map(() => false);
  const pipeline = store.redis.pipeline();
  for (const key of keys) pipeline.exists(key);
  return ((await pipeline.exec()) ?? []).map(([err, found]) => {
    if (err) throw err;
    return found === 1;
  });
}

/** Deletes a Job's oldest events past `keep` (names sort by creation time), in batches of half of `keep`. */
export async function trimJobEvents(store: JobStore, job: Job, keep: number): Promise<void> {
  const keys = store.keys;
  const setKey = keys.jobEvents(job.metadata.uid ?? '');
  const count = await store.redis.scard(setKey);
  if (count <= keep * 1.5) return; // trim in batches, not on every event
  const ns = job.metadata.namespace ?? 'default';
  const oldest = (await store.redis.smembers(setKey)).sort().slice(0, count - keep);
  await store.commit(
    oldest.flatMap((name): WriteOp[] => [
      { op: 'delkey', key: keys.event(ns, name) },
      { op: 'zrem', key: keys.events(ns), member: name },
      { op: 'srem', key: setKey, member: name },
    ]),
    'trimJobEvents',
  );
}

/** What one sync of the Job controller decided to write. */
export interface SyncWrite {
  /** The Job as the sync read it. */
  stored: StoredJob;
  /** Its new status and control state. */
  status: JobStatus;
  control: JobControlState;
  /** Whether the status or control state changed (the Job is written anyway when anything else is). */
  jobChanged: boolean;
  /** New pods. */
  created: Pod[];
  /** Pods stopped (their new object, and the resourceVersion read); a pod on a node is told to stop. */
  stopped: { pod: Pod; rv: string }[];
  /** Pods rewritten otherwise (counted early). */
  rewritten: { pod: Pod; rv: string }[];
  /** Pods now counted (they leave the Job's uncounted set). */
  counted: string[];
  /** Pods counted and ended after their deletion: their objects go. */
  removed: StoredPod[];
  /** The events to record; one joining an aggregate (correlateEvents) rewrites or creates that event. */
  events: CorrelatedEvent[];
  now: number;
  /** The pod queue's clock when the sync read (SyncSnapshot.queueClock): the created pods are queued from it. */
  queueClock: number;
  /** The Job as a flow of the pod queue when the sync read (SyncSnapshot.queueFlow): how far apart they are queued. */
  queueFlow: QueueFlow;
  /** Schedule the TTL deletion if the new status finishes the Job. */
  scheduleTtl: boolean;
}

/**
 * The sync's one atomic commit, guarded by the resourceVersions read (ok: false on a lost race).
 * Undefined when there was nothing to write.
 */
export async function commitSync(store: JobStore, w: SyncWrite): Promise<CommitResult | undefined> {
  const keys = store.keys;
  const job = w.stored.job;
  const ns = job.metadata.namespace ?? 'default';
  const uid = job.metadata.uid ?? '';
  const ops: WriteOp[] = [];
  for (const pod of w.created) {
    const name = pod.metadata.name ?? '';
    ops.push(await store.podPutOp(keys.pod(ns, name), '', pod));
    ops.push({ op: 'iadd', key: keys.pods(ns), member: name });
    ops.push({ op: 'iadd', key: keys.jobPods(uid), member: name });
    ops.push({ op: 'sadd', key: keys.jobUncounted(uid), member: name });
  }
  ops.push(...enqueueOps(keys, w.created, w.queueClock, { ...w.queueFlow, ns, name: job.metadata.name ?? '' }));
  for (const { pod, rv } of w.stopped) {
    const name = pod.metadata.name ?? '';
    ops.push(await store.podPutOp(keys.pod(ns, name), rv, pod));
    if (pod.spec.nodeName) ops.push({ op: 'publish', channel: keys.nodeChannel(pod.spec.nodeName), message: stopMessage(ns, name) });
  }
  for (const { pod, rv } of w.rewritten) ops.push(await store.podPutOp(keys.pod(ns, pod.metadata.name ?? ''), rv, pod));
  for (const name of w.counted) ops.push({ op: 'srem', key: keys.jobUncounted(uid), member: name });
  for (const stored of w.removed) ops.push(...podRemovalOps(store, uid, stored));
  const next: Job = { ...job, status: w.status };
  if (w.jobChanged || ops.length > 0) ops.push(putOp(keys.job(ns, job.metadata.name ?? ''), w.stored.rv, next, w.control));
  // An event that joined an aggregate is written as that event (its name, uid, count, first time).
  ops.push(...eventOps(store, w.events.map(({ aggregate, ...event }) => ({ about: job, jobUid: uid, event, at: w.now, ...(aggregate ? { details: aggregate } : {}) }))));
  const ttl = w.scheduleTtl ? ttlScheduleOp(store, next) : undefined;
  if (ttl) ops.push(ttl);
  // A CronJob's Job that finishes now: its CronJob is synced at once (status.active, history limits).
  if (w.scheduleTtl && isJobFinished(next)) ops.push(...cronJobPokeOps(store, next));
  if (ops.length === 0) return undefined;
  const result = await store.commit(ops, 'commitSync');
  if (result.ok) {
    const name = job.metadata.name ?? '';
    store.syncHints.update(ns, name, uid, w.created.map((p) => p.metadata.name ?? ''), [...w.counted, ...w.removed.map((p) => p.pod.metadata.name ?? '')]);
  }
  return result;
}

// ---- pods ----

/**
 * Removes a counted pod that ended after its deletion: the object (a DELETED watch event with its
 * last state), its log and its index entries. Guarded by the pod's resourceVersion like every write.
 */
function podRemovalOps(store: JobStore, jobUid: string, stored: StoredPod): WriteOp[] {
  const keys = store.keys;
  const pod = stored.pod;
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const last = { ...pod, metadata: { ...pod.metadata, resourceVersion: stored.rv } };
  return [
    { op: 'del', key: keys.pod(ns, name), expect: stored.rv, kind: 'Pod', ns, name, final: JSON.stringify(last) },
    { op: 'irem', key: keys.pods(ns), member: name },
    { op: 'irem', key: keys.jobPods(jobUid), member: name },
    { op: 'srem', key: keys.jobUncounted(jobUid), member: name },
    ...(pod.spec.nodeName ? [{ op: 'srem' as const, key: keys.nodePods(pod.spec.nodeName), member: `${ns}/${name}` }] : []),
    { op: 'delkey', key: keys.podLog(ns, name) },
    { op: 'delkey', key: keys.podLogArchive(ns, name) },
  ];
}

/** Removes a pod (`stored`: its last object and the resourceVersion read) with its log and index entries. */
export function removePod(store: JobStore, jobUid: string, stored: StoredPod): Promise<CommitResult> {
  return store.commit(podRemovalOps(store, jobUid, stored), 'removePod');
}

/**
 * Writes a pod read at resourceVersion `expect`; with `stopGraceSeconds`, its node is told (in the
 * same commit) to stop it with that grace period.
 */
export async function putPod(store: JobStore, expect: string, pod: Pod, opts: { stopGraceSeconds?: number; previous?: Pod } = {}): Promise<CommitResult> {
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const ops: WriteOp[] = [await store.podPutOp(store.keys.pod(ns, name), expect, pod)];
  const node = pod.spec.nodeName;
  if (opts.stopGraceSeconds !== undefined && node) ops.push({ op: 'publish', channel: store.keys.nodeChannel(node), message: stopMessage(ns, name, opts.stopGraceSeconds) });
  if (opts.previous) ops.push(...(await requeueOps(store, opts.previous, pod)));
  return store.commit(ops, 'putPod');
}

/**
 * A queued pod whose placement class a client changed (tolerations added) moves to the entry of its
 * new class in the same place, so that nodes that left the old class to the others look at it again.
 * Not queued (taken, bound): nothing (whoever took it reads the pod as it is).
 */
async function requeueOps(store: JobStore, previous: Pod, pod: Pod): Promise<WriteOp[]> {
  const [from, to] = [podQueueEntry(previous), podQueueEntry(pod)];
  if (from === to || pod.spec.nodeName) return [];
  const score = await store.redis.zscore(store.keys.podQueue, from);
  if (score === null) return [];
  return [
    { op: 'zrem', key: store.keys.podQueue, member: from },
    { op: 'zadd', key: store.keys.podQueue, member: to, score },
    { op: 'publish', channel: store.keys.podQueueWake, message: wakeMessage([to]) },
  ];
}

/** Whether the pod is among the Job's uncounted pods. */
export async function isPodUncounted(store: JobStore, jobUid: string, name: string): Promise<boolean> {
  return (await store.redis.sismember(store.keys.jobUncounted(jobUid), name)) === 1;
}

/** Whether the pod is in the Job's pod index. */
export async function isPodOfJob(store: JobStore, jobUid: string, name: string): Promise<boolean> {
  return (await store.indexHas(store.keys.jobPods(jobUid), [name]))[0] === true;
}

/** A change of a pod's owner, written as one commit (see commitOwnerChange). */
export interface OwnerChange {
  /** The pod leaves the indexes of this Job (uid) it no longer belongs to. */
  leave?: string;
  /** Released from its Job: the new object, and the Job's uid. */
  release?: { pod: Pod; jobUid: string };
  /** Adopted by a Job: the new object, the Job; `uncounted`: the pod joins the Job's uncounted pods (it has not ended). */
  adopt?: { pod: Pod; job: Job; uncounted: boolean };
}

/**
 * The Job controller's adoption or release of a pod read at `rv`: guarded by the pod's
 * resourceVersion and (adoption) by the Job still existing. Undefined when there is nothing to write.
 */
export async function commitOwnerChange(store: JobStore, ns: string, name: string, rv: string, change: OwnerChange): Promise<CommitResult | undefined> {
  const keys = store.keys;
  const ops: WriteOp[] = [];
  if (change.leave) ops.push({ op: 'irem', key: keys.jobPods(change.leave), member: name }, { op: 'srem', key: keys.jobUncounted(change.leave), member: name });
  if (change.release) {
    const uid = change.release.jobUid;
    ops.unshift(await store.podPutOp(keys.pod(ns, name), rv, change.release.pod));
    ops.push({ op: 'irem', key: keys.jobPods(uid), member: name }, { op: 'srem', key: keys.jobUncounted(uid), member: name });
  } else if (change.adopt) {
    const job = change.adopt.job;
    const uid = job.metadata.uid ?? '';
    ops.unshift({ op: 'require', key: keys.job(ns, job.metadata.name ?? ''), field: 'uid', value: uid }, await store.podPutOp(keys.pod(ns, name), rv, change.adopt.pod));
    ops.push({ op: 'iadd', key: keys.jobPods(uid), member: name });
    if (change.adopt.uncounted) ops.push({ op: 'sadd', key: keys.jobUncounted(uid), member: name });
  } else if (ops.length > 0) {
    ops.unshift({ op: 'require', key: keys.pod(ns, name), field: 'rv', value: rv });
  }
  if (ops.length === 0) return undefined;
  return store.commit(ops, 'commitOwnerChange');
}

// ---- namespaces ----

/** Forgets a namespace (its Jobs and pods are gone already): its index entry and its record. */
export async function forgetNamespace(store: JobStore, name: string): Promise<void> {
  await store.commit([
    { op: 'srem', key: store.keys.namespaces, member: name },
    { op: 'hdel', key: store.keys.namespaceRecords, field: name },
  ], 'forgetNamespace');
}

// ---- nodes ----

/** The node registry: node name → its raw heartbeat record. */
export function nodeRecords(store: JobStore): Promise<Record<string, string>> {
  return store.redis.hgetall(store.keys.nodes);
}

/** A registered node: its last heartbeat and what was set on it (kubectl label/taint/cordon, the worker's flags). */
export interface StoredNode {
  heartbeat: NodeHeartbeat;
  spec: NodeSpecRecord;
}

/** A node spec record as stored, and its text (the compare-and-set token of putNodeSpec). */
export interface StoredNodeSpec {
  spec: NodeSpecRecord;
  text: string;
}

function parseNodeSpec(text: string | null | undefined): NodeSpecRecord {
  if (!text) return {};
  try {
    return sanitizeNodeSpec(JSON.parse(text));
  } catch {
    return {}; // a record that is not JSON sets nothing
  }
}

/** The time (ms) of a heartbeat record, if it has a readable one (the node monitor's and the lease's view: capacity may be missing). */
export function heartbeatTime(text: string | null | undefined): number | undefined {
  try {
    const beat = text ? (JSON.parse(text) as Partial<NodeHeartbeat> | null)?.heartbeat : undefined;
    return typeof beat === 'number' && Number.isFinite(beat) ? beat : undefined;
  } catch {
    return undefined;
  }
}

/** A heartbeat record of the expected shape (name, capacity, finite times), else undefined: no node. */
export function parseHeartbeat(text: string): NodeHeartbeat | undefined {
  try {
    const hb = JSON.parse(text) as NodeHeartbeat | null;
    if (!hb || typeof hb !== 'object' || typeof hb.name !== 'string' || typeof hb.capacity !== 'object' || hb.capacity === null) return undefined;
    if (heartbeatTime(text) === undefined || (hb.startedAt !== undefined && !Number.isFinite(hb.startedAt))) return undefined;
    return hb;
  } catch {
    return undefined; // a record that is not JSON is no node
  }
}

/** Every node with a heartbeat record (a record of another shape is no node), by name, with its spec record. */
export async function storedNodes(store: JobStore): Promise<StoredNode[]> {
  const [[, beats], [, specs]] = (await store.redis.multi().hgetall(store.keys.nodes).hgetall(store.keys.nodeSpecs).exec()) as [[unknown, Record<string, string>], [unknown, Record<string, string>]];
  return Object.entries(beats)
    .flatMap(([name, text]) => {
      const heartbeat = parseHeartbeat(text);
      return heartbeat && heartbeat.name === name ? [{ heartbeat, spec: parseNodeSpec(specs[name]) }] : [];
    })
    .sort((a, b) => (a.heartbeat.name < b.heartbeat.name ? -1 : a.heartbeat.name > b.heartbeat.name ? 1 : 0));
}

/** One node (one round trip): its heartbeat (undefined when it has none of the expected shape) and what was set on it, with its text. */
export async function storedNode(store: JobStore, node: string): Promise<{ heartbeat: NodeHeartbeat | undefined; spec: StoredNodeSpec }> {
  const [[, beat], [, text]] = (await store.redis.multi().hget(store.keys.nodes, node).hget(store.keys.nodeSpecs, node).exec()) as [[unknown, string | null], [unknown, string | null]];
  const heartbeat = beat ? parseHeartbeat(beat) : undefined;
  return { heartbeat: heartbeat?.name === node ? heartbeat : undefined, spec: { spec: parseNodeSpec(text), text: text ?? '' } };
}

/** What was set on every node that has a spec record, by name. */
export async function nodeSpecRecords(store: JobStore): Promise<Record<string, NodeSpecRecord>> {
  const texts = await store.redis.hgetall(store.keys.nodeSpecs);
  return Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, parseNodeSpec(text)]));
}

/** What was set on a node (empty when nothing was). */
export async function nodeSpec(store: JobStore, node: string): Promise<StoredNodeSpec> {
  const text = (await store.redis.hget(store.keys.nodeSpecs, node)) ?? '';
  return { spec: parseNodeSpec(text), text };
}

/** Writes a node's spec record if it is still `read` (putNodeSpec-1.lua); false when it changed meanwhile. */
export async function putNodeSpec(store: JobStore, node: string, read: StoredNodeSpec, next: NodeSpecRecord): Promise<boolean> {
  const version = (read.spec.version ?? 0) + 1;
  return (await store.putNodeSpec(node, read.text, JSON.stringify({ ...next, version }))) === 1;
}

/**
 * Records that no node can take a Pending pod now (its PodScheduled condition, False, Unschedulable,
 * as `pod` carries it) with the scheduler's event, if the pod is still as read; false when it changed
 * (claimed, deleted) meanwhile.
 */
export async function markPodUnschedulable(store: JobStore, read: StoredPod, pod: Pod, events: readonly EventRecord[]): Promise<boolean> {
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  return (await store.commit([await store.podPutOp(store.keys.pod(ns, name), read.rv, pod), ...eventOps(store, events)], 'markPodUnschedulable')).ok;
}

/** Forgets a node (kubectl delete node): its heartbeat and spec records; a live worker registers again at its next heartbeat. */
export async function forgetNode(store: JobStore, node: string): Promise<void> {
  await store.redis.multi().hdel(store.keys.nodes, node).hdel(store.keys.nodeSpecs, node).exec();
}

/** A node's pod set member ("ns/name", as nodePodMembers lists them) as a pod reference. */
export function nodePodRef(member: string): { ns: string; name: string } {
  const [ns = '', name = ''] = member.split('/');
  return { ns, name };
}

/** The pods a node holds ("ns/name"). */
export function nodePodMembers(store: JobStore, node: string): Promise<string[]> {
  return store.redis.smembers(store.keys.nodePods(node));
}

/** Drops a pod ("ns/name") from a node's set (it ended, went, or runs elsewhere). */
export async function forgetNodePod(store: JobStore, node: string, member: string): Promise<void> {
  await store.redis.srem(store.keys.nodePods(node), member);
}

/**
 * Records an event on its own, not in the write of what it is about: only while its Job (named
 * `jobName`, with the record's jobUid) exists, so that it never outlives the Job that lists it.
 * False when the Job is gone.
 */
export async function recordJobEvent(store: JobStore, jobName: string, record: EventRecord): Promise<boolean> {
  const ns = record.about.metadata.namespace ?? 'default';
  const guard: WriteOp = { op: 'require', key: store.keys.job(ns, jobName), field: 'uid', value: record.jobUid };
  return (await store.commit([guard, ...eventOps(store, [record])], 'recordJobEvent')).ok;
}

/** Writes a pod of a lost node read at `rv`; once it has ended (Failed), it leaves the node's set in the same commit. */
export async function putLostPod(store: JobStore, expect: string, pod: Pod, node: string, events: readonly EventRecord[] = []): Promise<CommitResult> {
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const ops: WriteOp[] = [await store.podPutOp(store.keys.pod(ns, name), expect, pod), ...eventOps(store, events)];
  if (pod.status.phase === 'Failed') ops.push({ op: 'srem', key: store.keys.nodePods(node), member: `${ns}/${name}` });
  return store.commit(ops, 'putLostPod');
}

/** Calls `listener` whenever the store's connection to Redis closes (an outage seen, not just failed commands). */
export function onStoreDisconnect(store: JobStore, listener: () => void): void {
  store.redis.on('close', listener);
}
